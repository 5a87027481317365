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
// (AVX-512 machine) of the commit that added them: v2-… in the fp32 arithmetic (transformer
// arithmetic 1, before half floats; AVX2 + FMA kernels), v3-half-… in the half arithmetic
// (arithmetic 2, what `zgen compress` writes; AVX-512 kernels reading halves).
struct Fixture {
  const char* file;
  const char* spec;       // as stored in the file
  const char* spec_now;   // the SPEC that computes the file's arithmetic today
};
constexpr Fixture kFixtures[] = {
    {"v2-transformer800k-sotu700.zgen", "transformer:models/sotu-800k.safetensors",
     "transformer-fp32:models/sotu-800k.safetensors"},
    {"v2-mix-transformer800k-ppm2-sotu700.zgen", "mix:transformer:models/sotu-800k.safetensors+ppm:2",
     "mix:transformer-fp32:models/sotu-800k.safetensors+ppm:2"},
};
constexpr Fixture kHalfFixtures[] = {
    {"v3-half-transformer800k-sotu700.zgen", "transformer:models/sotu-800k.safetensors",
     "transformer:models/sotu-800k.safetensors"},
    {"v3-half-mix-transformer800k-ppm2-sotu700.zgen", "mix:transformer:models/sotu-800k.safetensors+ppm:2",
     "mix:transformer:models/sotu-800k.safetensors+ppm:2"},
};

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
  for (const auto& f : kHalfFixtures) {
    CAPTURE(f.file);
    CHECK(decode(f.file) == text);
  }
  // The plain C++ kernels, as on a CPU without AVX2 (the slower path: the transformer alone),
  // and AVX2 + FMA (no AVX-512: the half arithmetic on widened floats).
  for (const char* isa : {"portable", "avx2"}) {
    CAPTURE(isa);
    ForcedIsa forced(isa);
    CHECK(decode(kFixtures[0].file) == text);
    CHECK(decode(kHalfFixtures[0].file) == text);
  }
}

TEST_CASE("a file records its transformer arithmetic: the other one is refused, not misdecoded") {
  const auto half = zgen::parse_container(read_fixture(kHalfFixtures[0].file)).header;
  const auto fp32 = zgen::parse_container(read_fixture(kFixtures[0].file)).header;
  CHECK(half.transformer_arithmetic == 2);
  CHECK(fp32.transformer_arithmetic == 1);
  // --model with the other arithmetic: a different content hash, so a one-line refusal.
  const std::string out = fs::temp_directory_path() / ("zgen-arith-" + std::to_string(::getpid()) + ".txt");
  const auto o = run_zgen("decompress -q --model 'transformer-fp32:" + (kRoot / "models/sotu-800k.safetensors").string() +
                          "' -o '" + out + "' '" + (fs::path(ZGEN_TEST_DATA) / kHalfFixtures[0].file).string() + "'");
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("model mismatch") != std::string::npos);
  CHECK(!fs::exists(out));
}

TEST_CASE("compressing the fixture's text again gives the fixture, byte for byte") {
  // The fixtures are version-2 files (one payload), which the library's in-memory coder still
  // writes (`zgen compress` streams version 3, whose frames hold the same coded streams). From
  // the repository, so that the stored model path is the fixture's (models/…).
  const fs::path previous = fs::current_path();
  fs::current_path(kRoot);
  const std::string text = original();
  const zgen::Bytes data(text.begin(), text.end());
  for (const auto& f : kFixtures) {
    CAPTURE(f.file);
    zgen::PredictorOptions options;
    options.threads = 1;
    const auto model = zgen::make_predictor(f.spec_now, options);
    // Stored as files before the half arithmetic were: SPEC transformer:…, arithmetic 1.
    const auto r = zgen::compress_to_container(*model, f.spec, data, 2048);
    zgen::ContainerHeader h = zgen::parse_container(r.file).header;
    CHECK(h.transformer_arithmetic == 2);  // what this zgen writes
    h.transformer_arithmetic = 1;
    CHECK(zgen::write_container(h, r.encoded.payload) == read_fixture(f.file));
  }
  // The half fixtures: `zgen compress` again, the very same file.
  const std::string in = fs::temp_directory_path() / ("zgen-portable-in-" + std::to_string(::getpid()) + ".txt");
  const std::string out = in + ".zgen";
  { std::ofstream(in, std::ios::binary) << text; }
  for (const auto& f : kHalfFixtures) {
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
