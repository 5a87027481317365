// .zgen files: byte-exact round trips through ArithmeticCompressor and the container, and
// every kind of damaged file turned into one clear UserError.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "src/coding/container.hpp"
#include "tests/cli_runner.hpp"
#include "tests/coder_test_models.hpp"
#include "tests/fixtures.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"

namespace {

using zgen::Bytes;
using zgen::ByteView;

using zgen::test::read_fixture;

using zgen::test::random_bytes;

Bytes compress(const std::string& spec, ByteView data, std::uint64_t chunk) {
  const auto model = zgen::test::make_test_predictor(spec);
  return zgen::compress_to_container(*model, spec, data, chunk).file;
}

Bytes decompress(ByteView file, const std::string& override_spec = "") {
  zgen::DecompressOptions options;
  options.model_override = override_spec;
  return zgen::decompress_container(file, zgen::test::make_test_predictor, options);
}

void check_round_trip(const std::string& spec, const Bytes& data, std::uint64_t chunk) {
  CAPTURE(spec);
  CAPTURE(data.size());
  CAPTURE(chunk);
  const Bytes file = compress(spec, data, chunk);
  const Bytes back = decompress(file);
  REQUIRE(back.size() == data.size());
  REQUIRE(back == data);
}

// The error a damaged file gets: a UserError on one line (or, rarely, the exact original when
// the damage sits in bits the decoder provably ignores, e.g. the free low bits of a stream's end).
enum class Outcome { error, same };
Outcome damaged(ByteView file, const Bytes& original) {
  try {
    const Bytes back = decompress(file);
    REQUIRE(back == original);  // never a silently wrong result
    return Outcome::same;
  } catch (const zgen::UserError& e) {
    const std::string what = e.what();
    REQUIRE(!what.empty());
    REQUIRE(what.find('\n') == std::string::npos);
    return Outcome::error;
  }
}

std::string error_of(ByteView file, const std::string& override_spec = "") {
  try {
    decompress(file, override_spec);
  } catch (const zgen::UserError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("round trips: edge sizes, both coding paths, chunked and unchunked") {
  Bytes all_values(256);
  for (int i = 0; i < 256; ++i) all_values[i] = static_cast<std::uint8_t>(i);
  const Bytes text = read_fixture("sotu-valid-30k.txt");
  std::vector<Bytes> inputs = {{}, {0x00}, {0xFF}, {'a'}, all_values, Bytes(20000, 'x'), Bytes(5000, 0x00)};
  Bytes runs;
  for (int i = 0; i < 40; ++i) runs.insert(runs.end(), static_cast<std::size_t>(1 + i * 97), static_cast<std::uint8_t>(i * 37));
  inputs.push_back(runs);
  for (std::size_t n : {1, 3}) {
    for (std::size_t size : {n * 2048 - 1, n * 2048, n * 2048 + 1}) inputs.push_back(Bytes(text.begin(), text.begin() + size));
  }
  for (const std::string spec : {"test-order0", "test-bits0", "test-bits-extreme"})
    for (const Bytes& data : inputs)
      for (std::uint64_t chunk : {0, 2048, 1, 7}) {
        if (chunk < 16 && data.size() > 2100) continue;  // a stream per byte or few: slow, nothing new
        check_round_trip(spec, data, chunk);
      }
}

TEST_CASE("round trips: real text, a real image, 1 MB of random bytes") {
  const Bytes text = read_fixture("sotu-valid-30k.txt");
  const Bytes image = read_fixture("camera-crop-256x192.gray");
  for (const std::string spec : {"test-order0", "test-bits0"})
    for (std::uint64_t chunk : {0, 2048}) {
      check_round_trip(spec, text, chunk);
      check_round_trip(spec, image, chunk);
    }
  check_round_trip("test-order2", text, 0);
  const Bytes random = random_bytes(1 << 20, 7);
  for (std::uint64_t chunk : {0, 2048}) {
    const Bytes file = compress("test-bits0", random, chunk);
    // Incompressible: a little more than the original (the adaptive bits chase noise).
    CHECK(file.size() < random.size() * 105 / 100);
    CHECK(decompress(file) == random);
  }
}

TEST_CASE("the model learns: text compresses") {
  const Bytes text = read_fixture("sotu-valid-30k.txt");
  CHECK(compress("test-order2", text, 0).size() < text.size() * 45 / 100);
  CHECK(compress("test-bits0", text, 0).size() < text.size() * 65 / 100);
}

TEST_CASE("ArithmeticCompressor is a Compressor") {
  const Bytes text = read_fixture("sotu-valid-30k.txt");
  zgen::ArithmeticCompressor c(std::make_unique<zgen::test::Order0Predictor>(), "test-order0", 2048);
  CHECK(c.name() == "test-order0");
  const Bytes file = c.compress(text);
  CHECK(c.decompress(file) == text);
  CHECK(c.code_length_bits(text) < 8.0 * static_cast<double>(file.size()));
  zgen::ArithmeticCompressor other(std::make_unique<zgen::test::BitTreePredictor>(), "test-bits0", 2048);
  CHECK_THROWS_AS(other.decompress(file), zgen::UserError);
}

TEST_CASE("truncation at every length is an error") {
  const Bytes text = read_fixture("sotu-valid-30k.txt");
  const Bytes data(text.begin(), text.begin() + 300);
  for (const std::string spec : {"test-order0", "test-bits0"}) {
    const Bytes file = compress(spec, data, 64);
    for (std::size_t n = 0; n < file.size(); ++n) {
      CAPTURE(n);
      CHECK(damaged(ByteView(file).first(n), data) == Outcome::error);
    }
  }
}

TEST_CASE("a flip of any single bit is an error (or provably harmless)") {
  const Bytes text = read_fixture("sotu-valid-30k.txt");
  const Bytes data(text.begin(), text.begin() + 120);
  for (const std::string spec : {"test-order0", "test-bits0"})
    for (std::uint64_t chunk : {0, 64}) {
      const Bytes file = compress(spec, data, chunk);
      std::size_t harmless = 0;
      for (std::size_t bit = 0; bit < file.size() * 8; ++bit) {
        CAPTURE(bit);
        Bytes flipped = file;
        flipped[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        harmless += damaged(flipped, data) == Outcome::same;
      }
      MESSAGE(spec << " chunk " << chunk << ": " << harmless << " of " << file.size() * 8
                   << " flips decoded to the original (free bits at a stream's end)");
      CHECK(harmless * 50 < file.size() * 8);
    }
}

TEST_CASE("wrong magic, unknown version, wrong or missing model, absurd lengths") {
  const Bytes data = read_fixture("sotu-valid-30k.txt");
  const Bytes file = compress("test-order0", ByteView(data).first(1000), 2048);
  REQUIRE(decompress(file).size() == 1000);

  Bytes bad = file;
  bad[1] = 'X';
  CHECK(error_of(bad).find("not a zgen file") != std::string::npos);
  CHECK(error_of(zgen::as_bytes("hello, world")).find("not a zgen file") != std::string::npos);
  CHECK(error_of({}).find("truncated") != std::string::npos);  // empty: truncated, not "not a zgen file"
  CHECK(error_of({}).find("not a zgen file") == std::string::npos);
  bad = file;
  bad[4] = zgen::kContainerVersion + 1;
  CHECK(error_of(bad).find("unsupported zgen format version " + std::to_string(zgen::kContainerVersion + 1)) !=
        std::string::npos);
  bad[4] = 0;
  CHECK(error_of(bad).find("unsupported zgen format version 0") != std::string::npos);

  CHECK(error_of(file, "test-bits0").find("model mismatch") != std::string::npos);
  CHECK(error_of(file, "no-such-model").find("cannot load the model 'no-such-model'") != std::string::npos);
  CHECK(decompress(file, "test-order0").size() == 1000);  // the same model by name: fine

  // A file whose model nobody knows.
  zgen::test::Order0Predictor model;
  const Bytes unknown = zgen::compress_to_container(model, "martian:7", ByteView(data).first(10), 0).file;
  CHECK(error_of(unknown).find("cannot load the model 'martian:7' named in the file") != std::string::npos);

  // Headers that a sane encoder never writes, with a valid header checksum.
  const auto with_header = [&](auto edit) {
    zgen::ContainerHeader h = zgen::parse_container(file).header;
    edit(h);
    return zgen::write_container(h, zgen::parse_container(file).payload);
  };
  // (write_container refuses to write such a length itself, so it is written by hand.)
  zgen::Bytes huge(std::begin(zgen::kContainerMagic), std::end(zgen::kContainerMagic));
  huge.insert(huge.end(), {zgen::kWholeContainerVersion, 0, 1, 'x'});
  huge.insert(huge.end(), 8, 0);                  // parameters hash
  zgen::put_varint(huge, std::uint64_t{1} << 50);  // original length
  huge.insert(huge.end(), {0, 0, 0, 0, 0});       // chunk size 0, crc32
  const std::uint32_t header_crc = zgen::crc32_of(huge);
  for (int i = 0; i < 4; ++i) huge.push_back(static_cast<std::uint8_t>(header_crc >> (8 * i)));
  huge.push_back(0);  // empty payload
  CHECK(error_of(huge).find("exceeds 1 TiB") != std::string::npos);
  CHECK(error_of(with_header([](auto& h) { h.original_length = 1000000000; })).find("corrupt payload") !=
        std::string::npos);
  CHECK(error_of(with_header([](auto& h) { h.coding = zgen::CodingMode::bits; })).find("codes bits") !=
        std::string::npos);
  CHECK(error_of(with_header([](auto& h) { h.crc32 ^= 1; })).find("CRC-32 mismatch") != std::string::npos);
  CHECK(error_of(with_header([](auto& h) { h.parameters_hash ^= 1; })).find("model mismatch: this zgen's 'test-order0'") !=
        std::string::npos);
  CHECK(error_of(with_header([](auto& h) { h.chunk_size = 7; })) != "(no error)");

  // The decoder's own limit.
  zgen::DecompressOptions small;
  small.max_output = 999;
  CHECK_THROWS_AS(zgen::decompress_container(file, zgen::test::make_test_predictor, small), zgen::UserError);

  // Bytes after the payload.
  bad = file;
  bad.push_back(0);
  CHECK(error_of(bad).find("after the payload") != std::string::npos);
}

TEST_CASE("zgen compress / decompress on the command line") {
  using zgen::test::run_zgen;
  using zgen::test::slurp;
  const std::string dir = "/tmp/zgen-container-test-" + std::to_string(::getpid());
  REQUIRE(std::system(("mkdir -p " + dir).c_str()) == 0);
  const std::string text = std::string(ZGEN_TEST_DATA) + "/sotu-valid-30k.txt";
  const std::string original = slurp(text).substr(0, 3000);
  {
    std::ofstream(dir + "/in.txt", std::ios::binary) << original;
  }

  auto o = run_zgen("compress --help");
  CHECK(o.exit_code == 0);
  CHECK(o.out.find("--chunk-size") != std::string::npos);
  CHECK(run_zgen("decompress --help").exit_code == 0);
  CHECK(run_zgen("compress " + dir + "/in.txt -o " + dir + "/x.zgen").exit_code == 2);  // --model is required

  o = run_zgen("compress -q -m ppm:2 -o " + dir + "/a.zgen " + dir + "/in.txt");
  REQUIRE(o.exit_code == 0);
  o = run_zgen("decompress -q " + dir + "/a.zgen -o " + dir + "/a.out");
  REQUIRE(o.exit_code == 0);
  CHECK(slurp(dir + "/a.out") == original);
  // stdin to stdout, unchunked.
  o = run_zgen("compress -q -m ppm:2 --chunk-size 0 -", dir + "/in.txt");
  REQUIRE(o.exit_code == 0);
  {
    std::ofstream(dir + "/b.zgen", std::ios::binary) << o.out;
  }
  o = run_zgen("decompress -q -", dir + "/b.zgen");
  CHECK(o.exit_code == 0);
  CHECK(o.out == original);

  // Damage: a clear one-line error, exit 2, nothing presented as output.
  std::string file = slurp(dir + "/a.zgen");
  file.resize(file.size() - 3);
  {
    std::ofstream(dir + "/t.zgen", std::ios::binary) << file;
  }
  o = run_zgen("decompress -q " + dir + "/t.zgen");
  CHECK(o.exit_code == 2);
  CHECK(o.out.empty());
  CHECK(zgen::test::count_lines(o.err) == 1);
  CHECK(o.err.find("nothing was written to standard output") != std::string::npos);
  o = run_zgen("decompress -q " + dir + "/t.zgen -o " + dir + "/t.out");
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("was not written") != std::string::npos);
  CHECK(std::system(("test ! -e " + dir + "/t.out").c_str()) == 0);
  o = run_zgen("decompress -q -m ppm:3 " + dir + "/a.zgen");
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("model mismatch") != std::string::npos);
  o = run_zgen("decompress -q " + text);
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("not a zgen file") != std::string::npos);

  // --native: the compressor's own format.
  o = run_zgen("compress -q --native -m gzip:9 -o " + dir + "/n.gz " + dir + "/in.txt");
  CHECK(o.exit_code == 0);
  CHECK(std::system(("gzip -dc < " + dir + "/n.gz | cmp -s - " + dir + "/in.txt").c_str()) == 0);
  CHECK(run_zgen("compress -q --native -m ppm:2 -o " + dir + "/n.x " + dir + "/in.txt").exit_code == 2);
  std::system(("rm -rf " + dir).c_str());
}
