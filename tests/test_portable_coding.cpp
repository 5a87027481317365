// Files coded with the transformer decode on every build and CPU (issue 24): committed .zgen
// fixtures, made by one build, decode byte for byte in this one, under both implementations of
// the canonical kernels (ZGEN_EXACT_ISA=portable forces the plain C++ one), and compressing the
// same text again gives the very same file. CI runs this suite in the native Release build and
// in the sanitizer build; tests/cross_build_decode.sh checks a -DZGEN_NATIVE=OFF binary against
// the native one both ways.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "tests/cli_runner.hpp"
#include "src/coding/container.hpp"
#include "tests/fixtures.hpp"
#include "zgen/coding.hpp"
#include "zgen/models.hpp"

using zgen::test::read_fixture;
using zgen::test::run_zgen;
using zgen::test::slurp;

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = fs::path(ZGEN_TEST_DATA) / ".." / "..";  // the repository: models/ and tests/data/

// The fixtures (tests/data/README.md): the first 700 bytes of sotu-valid-30k.txt, one chunk in
// which the 512-byte window slides once (a prefill) between steps, coded by the native build
// (AVX-512 machine) of the commit that added them, one per transformer coding
// (src/transformer/coding_version.hpp): v2-… in coding 1 (fp32, before half floats; AVX2 + FMA
// kernels), v3-half-… in coding 2 (half floats; AVX-512 kernels reading halves), v3-quarter-… in
// coding 3 (half floats, the window keeping a quarter: what `zgen compress` writes).
struct Fixture {
  const char* file;
  const char* spec;      // as stored in the file
  const char* spec_now;  // the SPEC that computes the file's coding today
  int coding;            // the transformer coding the file records
};
constexpr Fixture kFixtures[] = {
    {"v2-transformer800k-sotu700.zgen", "transformer:models/sotu-800k.safetensors",
     "transformer-fp32:models/sotu-800k.safetensors", 1},
    {"v2-mix-transformer800k-ppm2-sotu700.zgen", "mix:transformer:models/sotu-800k.safetensors+ppm:2",
     "mix:transformer-fp32:models/sotu-800k.safetensors+ppm:2", 1},
    {"v3-half-transformer800k-sotu700.zgen", "transformer:models/sotu-800k.safetensors",
     "transformer-v2:models/sotu-800k.safetensors", 2},
    {"v3-half-mix-transformer800k-ppm2-sotu700.zgen", "mix:transformer:models/sotu-800k.safetensors+ppm:2",
     "mix:transformer-v2:models/sotu-800k.safetensors+ppm:2", 2},
    {"v3-quarter-transformer800k-sotu700.zgen", "transformer:models/sotu-800k.safetensors",
     "transformer:models/sotu-800k.safetensors", 3},
    {"v3-quarter-mix-transformer800k-ppm2-sotu700.zgen", "mix:transformer:models/sotu-800k.safetensors+ppm:2",
     "mix:transformer:models/sotu-800k.safetensors+ppm:2", 3},
};
// The first fixture of each coding (the transformer alone).
constexpr const Fixture* kAlone[] = {&kFixtures[0], &kFixtures[2], &kFixtures[4]};

std::string original() {
  const auto text = read_fixture("sotu-valid-30k.txt");
  return std::string(text.begin(), text.begin() + 700);
}

// Sets ZGEN_EXACT_ISA for the zgen processes this test starts, and clears it again.
struct ForcedIsa {
  explicit ForcedIsa(const char* isa) { ::setenv("ZGEN_EXACT_ISA", isa, 1); }
  ~ForcedIsa() { ::unsetenv("ZGEN_EXACT_ISA"); }
};

std::string decode(const std::string& fixture) {
  const std::string out = fs::temp_directory_path() / ("zgen-portable-" + std::to_string(::getpid()) + ".txt");
  const auto o = run_zgen("decompress -q --model-dir '" + (kRoot / "models").string() + "' -o '" + out + "' '" +
                          (fs::path(ZGEN_TEST_DATA) / fixture).string() + "'");
  INFO(o.err);
  CHECK(o.exit_code == 0);
  const std::string decoded = slurp(out);
  fs::remove(out);
  return decoded;
}

}  // namespace

TEST_CASE("committed transformer .zgen files decode byte for byte, with either implementation") {
  const std::string text = original();
  for (const auto& f : kFixtures) {
    CAPTURE(f.file);
    CHECK(decode(f.file) == text);
  }
  // The plain C++ kernels, as on a CPU without AVX2 (the slower path: the transformer alone),
  // and AVX2 + FMA (no AVX-512: the half arithmetic read as halves, widened by F16C).
  for (const char* isa : {"portable", "avx2"}) {
    CAPTURE(isa);
    ForcedIsa forced(isa);
    for (const Fixture* f : kAlone) {
      CAPTURE(f->file);
      CHECK(decode(f->file) == text);
    }
  }
}

TEST_CASE("a file records its transformer coding: another one is refused, not misdecoded") {
  for (const auto& f : kFixtures) {
    CAPTURE(f.file);
    CHECK(zgen::parse_container(read_fixture(f.file)).header.transformer_coding == f.coding);
  }
  // --model in another coding: a different content hash, so a one-line refusal. The codings 2
  // and 3 share the arithmetic and differ only in the window rule, which the hash covers too.
  const std::string out = fs::temp_directory_path() / ("zgen-arith-" + std::to_string(::getpid()) + ".txt");
  const std::string model = (kRoot / "models/sotu-800k.safetensors").string();
  // (An override transformer:PATH is read in the file's coding, as the stored SPEC is.)
  for (const auto& [prefix, fixture] : {std::pair{"transformer-fp32:", kAlone[1]}, std::pair{"transformer-v2:", kAlone[2]},
                                        std::pair{"transformer-fp32:", kAlone[2]}}) {
    CAPTURE(std::string(prefix));
    CAPTURE(std::string(fixture->file));
    const auto o = run_zgen("decompress -q --model '" + std::string(prefix) + model + "' -o '" + out + "' '" +
                            (fs::path(ZGEN_TEST_DATA) / fixture->file).string() + "'");
    CHECK(o.exit_code == 2);
    CHECK(o.err.find("model mismatch") != std::string::npos);
    CHECK(!fs::exists(out));
  }
  // A coding this zgen does not know (a newer zgen's, 4), the header's CRC made right for it:
  // refused by the parser with what it is.
  zgen::Bytes file = read_fixture(kAlone[2]->file);
  REQUIRE(file[4] == 3);
  const std::size_t fields = file[5];  // the header length (one varint byte); the coding byte follows it
  REQUIRE(fields < 0x80);
  REQUIRE((file[6] >> 4) == 2);  // coding 3
  file[6] = static_cast<std::uint8_t>((file[6] & 0x0F) | 3 << 4);
  const std::uint32_t crc = zgen::crc32_of(zgen::ByteView(file).first(6 + fields));
  for (int i = 0; i < 4; ++i) file[6 + fields + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (8 * i));
  try {
    zgen::parse_container(file);
    FAIL("a file of transformer coding 4 was parsed");
  } catch (const zgen::FormatError& e) {
    CHECK(std::string(e.what()).find("unsupported transformer coding 4") != std::string::npos);
  }
}

TEST_CASE("compressing the fixture's text again gives the fixture, byte for byte") {
  // From the repository, so that the stored model path is the fixture's (models/…).
  const fs::path previous = fs::current_path();
  fs::current_path(kRoot);
  const std::string text = original();
  const zgen::Bytes data(text.begin(), text.end());
  for (const auto& f : kFixtures) {
    CAPTURE(f.file);
    if (f.coding == 3) continue;  // below: `zgen compress` writes them as they are
    const zgen::Bytes fixture = read_fixture(f.file);
    zgen::PredictorOptions options;
    options.threads = 1;
    const auto model = zgen::make_predictor(f.spec_now, options);
    // Stored as the files of that coding were: the SPEC transformer:…, the coding's number.
    // v2-… are version-2 files (one payload), which the library's in-memory coder still
    // writes; v3-… are `zgen compress`'s stream layout, whose frames hold the same streams.
    if (fixture[4] == 2) {
      const auto r = zgen::compress_to_container(*model, f.spec, data, 2048);
      zgen::ContainerHeader h = zgen::parse_container(r.file).header;
      CHECK(h.transformer_coding == 3);  // what this zgen writes
      h.transformer_coding = static_cast<std::uint8_t>(f.coding);
      CHECK(zgen::write_container(h, r.encoded.payload) == fixture);
      continue;
    }
    // A stream file under the coding's own SPEC: the same model hash, the same frames and
    // trailer byte for byte (only the stored SPEC and the coding byte say it differently).
    zgen::Bytes made;
    zgen::Predictor* const models[] = {model.get()};
    zgen::compress_stream(models, f.spec_now, zgen::source_of(data), zgen::sink_of(made));
    const zgen::ParsedContainer a = zgen::parse_container(made), b = zgen::parse_container(fixture);
    CHECK(a.header.parameters_hash == b.header.parameters_hash);
    CHECK(zgen::Bytes(a.payload.begin(), a.payload.end()) == zgen::Bytes(b.payload.begin(), b.payload.end()));
  }
  // The newest coding's fixtures: `zgen compress` again, the very same file.
  const std::string in = fs::temp_directory_path() / ("zgen-portable-in-" + std::to_string(::getpid()) + ".txt");
  const std::string out = in + ".zgen";
  { std::ofstream(in, std::ios::binary) << text; }
  for (const auto& f : kFixtures) {
    if (f.coding != 3) continue;
    CAPTURE(f.file);
    const auto o = run_zgen("compress -q -j 1 --model '" + std::string(f.spec) + "' -o '" + out + "' '" + in + "'");
    INFO(o.err);
    CHECK(o.exit_code == 0);
    const std::string made = slurp(out);
    const zgen::Bytes fixture = read_fixture(f.file);
    CHECK(made == std::string(fixture.begin(), fixture.end()));
  }
  fs::remove(in);
  fs::remove(out);
  fs::current_path(previous);
}
