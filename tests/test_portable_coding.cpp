// Files coded with the transformer decode on every build and CPU (issue 24): committed .zgen
// fixtures, made by one build, decode byte for byte in this one, under both implementations of
// the canonical kernels (ZGEN_EXACT_ISA=portable forces the plain C++ one), and compressing the
// same text again gives the very same file. CI runs this suite in the native Release build and
// in the sanitizer build; tests/cross_build_decode.sh checks a -DZGEN_NATIVE=OFF binary against
// the native one both ways.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/cli_runner.hpp"
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
// (AVX-512 machine, AVX2 + FMA kernels) of the commit that added them.
struct Fixture {
  const char* file;
  const char* spec;
};
constexpr Fixture kFixtures[] = {
    {"v2-transformer800k-sotu700.zgen", "transformer:models/sotu-800k.safetensors"},
    {"v2-mix-transformer800k-ppm2-sotu700.zgen", "mix:transformer:models/sotu-800k.safetensors+ppm:2"},
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
  // The plain C++ kernels, as on a CPU without AVX2 (the slower path: the transformer alone).
  ForcedIsa portable("portable");
  CHECK(decode(kFixtures[0].file) == text);
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
    const auto model = zgen::make_predictor(f.spec, options);
    const zgen::Bytes file = zgen::compress_to_container(*model, f.spec, data, 2048).file;
    CHECK(file == read_fixture(f.file));
  }
  fs::current_path(previous);
}
