// safetensors: round trip, the exact byte layout Python's reader expects, and a one-line
// UserError for every kind of damage.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/transformer/safetensors.hpp"
#include "src/transformer/checkpoint.hpp"
#include "zgen/errors.hpp"

using namespace zgen;
namespace st = zgen::safetensors;

namespace {

// A file from a header given as JSON text and `data_bytes` bytes of data (0x00..).
Bytes make_file(const std::string& header, std::size_t data_bytes) {
  Bytes b(8 + header.size() + data_bytes, 0);
  const std::uint64_t n = header.size();
  std::memcpy(b.data(), &n, 8);
  std::memcpy(b.data() + 8, header.data(), header.size());
  return b;
}

std::string error_of(ByteView bytes) {
  try {
    st::parse(bytes, "'x'");
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("round trip: tensors, shapes, metadata; header padded to 8 bytes; offsets tile the data") {
  const std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 1e-30f, -7.0f};
  const std::vector<float> b = {42.0f};
  const Bytes bytes = st::serialize({{"layer.a", {2, 3}, a}, {"b", {1}, b}}, {{"zgen.note", "héllo \"quoted\""}});
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  CHECK((8 + n) % 8 == 0);
  const auto header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
  CHECK(header["layer.a"]["dtype"] == "F32");
  CHECK(header["layer.a"]["data_offsets"] == nlohmann::json::array({0, 24}));
  CHECK(header["b"]["data_offsets"] == nlohmann::json::array({24, 28}));
  CHECK(header["__metadata__"]["zgen.note"] == "héllo \"quoted\"");
  const st::File f = st::parse(bytes, "'mem'");
  CHECK(f.metadata.at("zgen.note") == "héllo \"quoted\"");
  CHECK(f.tensors.at("layer.a").shape == std::vector<std::int64_t>{2, 3});
  CHECK(f.read("layer.a") == a);
  CHECK(f.read("b") == b);
  CHECK_THROWS_AS(f.read("c"), UserError);
}

TEST_CASE("a transformer checkpoint round-trips and refuses a mismatched config") {
  TransformerConfig c;
  c.layers = 1, c.dim = 8, c.heads = 2, c.seq = 16;
  transformer::Transformer<float> m(c);
  m.init_weights(3);
  const std::string path = "/tmp/zgen-test-st-" + std::to_string(::getpid()) + ".safetensors";
  transformer::save_checkpoint(path, m, {{"train.steps", "0"}});
  const transformer::Checkpoint back = transformer::load_checkpoint(path);
  CHECK(back.config == c);
  CHECK(back.metadata.at("train.steps") == "0");
  for (std::size_t i = 0; i < m.num_parameters(); ++i) REQUIRE(back.model->parameters()[i] == m.parameters()[i]);

  // The same tensors under metadata that claims another shape: the shape check names the tensor.
  st::File f = st::load(path);
  f.metadata["zgen.dim"] = "16";
  f.metadata["zgen.heads"] = "2";
  try {
    transformer::checkpoint_from(f, "'x'");
    FAIL("no error");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()).find("transformer.wte.weight") != std::string::npos);
  }
  f = st::load(path);
  f.tensors.erase("transformer.ln_f.bias");
  CHECK_THROWS_AS(transformer::checkpoint_from(f, "'x'"), UserError);
  f = st::load(path);
  f.metadata.erase("zgen.format");
  CHECK_THROWS_AS(transformer::checkpoint_from(f, "'x'"), UserError);
  std::remove(path.c_str());
}

TEST_CASE("a checkpoint whose config claims 51 GB of parameters is refused before allocating them") {
  // fuzz/corpus/safetensors/bad-found-config-of-51-gb: the metadata alone, no tensors. The
  // tensors are checked against the config's layout first, so this names the first missing one
  // instead of allocating 64 layers of dim 4096.
  TransformerConfig c;
  c.layers = 64, c.dim = 4096, c.heads = 1, c.seq = 8;
  const Bytes file = st::serialize({}, c.to_metadata());
  try {
    transformer::checkpoint_from(st::parse(file, "'huge'"), "'huge'");
    FAIL("no error");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()).find("is missing") != std::string::npos);
  }
}

TEST_CASE("every kind of damage is a one-line UserError") {
  const std::vector<float> a = {1, 2, 3, 4};
  const Bytes good = st::serialize({{"a", {4}, a}}, {{"k", "v"}});
  CHECK(error_of(good).empty());

  std::vector<std::pair<const char*, Bytes>> cases;
  cases.push_back({"empty", {}});
  cases.push_back({"shorter than the length field", Bytes(good.begin(), good.begin() + 5)});
  cases.push_back({"truncated data", Bytes(good.begin(), good.end() - 1)});
  cases.push_back({"trailing data", [&] { Bytes b = good; b.push_back(0); return b; }()});
  cases.push_back({"header length beyond the file", [&] { Bytes b = good; b[0] = 0xff; return b; }()});
  cases.push_back({"absurd header length", [&] { Bytes b = good; b[7] = 0x7f; return b; }()});
  cases.push_back({"not JSON", make_file("{not json", 16)});
  cases.push_back({"JSON array", make_file("[1,2]", 0)});
  cases.push_back({"wrong dtype", make_file(R"({"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})", 8)});
  cases.push_back({"unknown dtype", make_file(R"({"a":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}})", 16)});
  cases.push_back({"size disagrees with shape", make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", 16)});
  cases.push_back({"negative shape", make_file(R"({"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", 16)});
  cases.push_back({"out of range", make_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", 16)});
  cases.push_back({"reversed offsets", make_file(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[16,0]}})", 16)});
  cases.push_back({"overlap", make_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 16)});
  cases.push_back({"gap", make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 16)});
  cases.push_back({"absurd shape", make_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}})", 16)});
  cases.push_back({"duplicate name", make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                               R"("a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 16)});
  cases.push_back({"missing field", make_file(R"({"a":{"dtype":"F32","shape":[4]}})", 16)});
  cases.push_back({"metadata not strings", make_file(R"({"__metadata__":{"k":1}})", 0)});
  for (const auto& [what, bytes] : cases) {
    CAPTURE(what);
    const std::string e = error_of(bytes);
    CHECK(!e.empty());
    CHECK(e.find('\n') == std::string::npos);
  }
  CHECK_THROWS_AS(st::load("/nonexistent.safetensors"), UserError);
}

TEST_CASE("random damage never crashes the reader: it parses or throws UserError") {
  // Every truncation, and 3,000 random byte changes (in the header and the length field most
  // of all, where the parser's decisions are), of a real checkpoint-shaped file.
  std::vector<float> a(12, 1.0f), b(3, 2.0f);
  const Bytes good = st::serialize({{"w", {3, 4}, a}, {"b", {3}, b}}, {{"zgen.format", "x"}});
  auto survives = [](ByteView bytes) {
    try {
      st::parse(bytes, "'fuzz'");
    } catch (const UserError&) {
    }
    return true;
  };
  for (std::size_t n = 0; n < good.size(); ++n) REQUIRE(survives(ByteView(good.data(), n)));
  std::uint64_t state = 12345;
  auto next = [&] { return state = state * 6364136223846793005ull + 1442695040888963407ull, state >> 33; };
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, good.data(), 8);
  for (int i = 0; i < 3000; ++i) {
    Bytes bad = good;
    const int changes = 1 + static_cast<int>(next() % 3);
    for (int k = 0; k < changes; ++k) {
      const std::size_t limit = next() % 4 ? 8 + header_len : bad.size();
      bad[next() % limit] = static_cast<std::uint8_t>(next());
    }
    REQUIRE(survives(bad));
  }
}
