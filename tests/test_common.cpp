// The shared helpers of src/common: the FNV-1a hash and the splitmix64 generator, whose values
// are stored in files and name weights (so they are pinned here), and reading a whole file.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "src/common/file_io.hpp"
#include "src/common/hash.hpp"
#include "src/common/rng.hpp"
#include "tests/fixtures.hpp"
#include "zgen/errors.hpp"

namespace {

using zgen::Bytes;
using zgen::ByteView;

}  // namespace

TEST_CASE("fnv1a64: the published FNV-1a 64 values, and folding in pieces") {
  CHECK(zgen::fnv1a64(std::string_view()) == 0xcbf29ce484222325ULL);  // the offset basis
  CHECK(zgen::fnv1a64(std::string_view("a")) == 0xaf63dc4c8601ec8cULL);
  CHECK(zgen::fnv1a64(std::string_view("foobar")) == 0x85944171f73967e8ULL);
  const Bytes text = zgen::test::read_fixture("sotu-valid-30k.txt");
  const ByteView all(text);
  // Any split gives the hash of the whole, through every overload.
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{777}, text.size()}) {
    std::uint64_t h = zgen::fnv1a64_fold(zgen::kFnv1a64Offset, all.first(cut));
    h = zgen::fnv1a64_fold(h, all.data() + cut, all.size() - cut);
    CHECK(h == zgen::fnv1a64(all));
  }
  CHECK(zgen::fnv1a64(zgen::as_bytes("foobar")) == zgen::fnv1a64(std::string_view("foobar")));
  // A word folds as one step, not as its eight bytes.
  const std::uint64_t word = 0x0123456789abcdefULL;
  CHECK(zgen::fnv1a64_fold_word(zgen::kFnv1a64Offset, word) == (zgen::kFnv1a64Offset ^ word) * zgen::kFnv1a64Prime);
  CHECK(zgen::fnv1a64_fold_word(zgen::kFnv1a64Offset, word) != zgen::fnv1a64_fold(zgen::kFnv1a64Offset, &word, 8));
}

TEST_CASE("SplitMix64: the stream a seed names") {
  // Reference values (computed once; a change here changes every model initialised from a
  // seed and every training run's batches).
  zgen::SplitMix64 r{42};
  CHECK(r.next() == 0xbdd732262feb6e95ULL);
  CHECK(r.next() == 0x28efe333b266f103ULL);
  CHECK(r.next() == 0x47526757130f9f52ULL);
  CHECK(r.uniform() == 0.34419071652363753);
  CHECK(r.below(26) == 20);
  CHECK(r.below(26) == 20);
  CHECK(r.below(1000003) == 746268);
  // Box–Muller goes through libm's log, sqrt and cos: equal to within their rounding.
  CHECK(r.normal() == doctest::Approx(-0.96162644861599544).epsilon(1e-14));
  CHECK(r.normal() == doctest::Approx(0.38812726225302352).epsilon(1e-14));
  CHECK(r.state == 0xcc623af878335511ULL);
  // The struct and the function are one generator.
  std::uint64_t state = 42;
  CHECK(zgen::splitmix64(state) == 0xbdd732262feb6e95ULL);
}

TEST_CASE("read_file: the whole file, or one clear FileError") {
  const std::string dir = "/tmp/zgen-test-common-" + std::to_string(::getpid());
  REQUIRE(std::system(("mkdir -p " + dir).c_str()) == 0);
  const Bytes text = zgen::test::read_fixture("sotu-valid-30k.txt");
  {
    std::ofstream(dir + "/t.txt", std::ios::binary)
        .write(reinterpret_cast<const char*>(text.data()), static_cast<std::streamsize>(text.size()));
    std::ofstream(dir + "/empty", std::ios::binary);
  }
  CHECK(zgen::read_file(dir + "/t.txt") == text);
  CHECK(zgen::read_file(dir + "/empty").empty());
  const zgen::InputFileInfo info = zgen::check_input_file(dir + "/t.txt");
  CHECK(info.regular);
  CHECK(info.size == text.size());
  CHECK_FALSE(zgen::check_input_file("/dev/zero").regular);  // a device: accepted, not refused

  const auto error_of = [](const std::string& path, std::string_view noun) -> std::string {
    try {
      zgen::read_file(path, noun);
    } catch (const zgen::FileError& e) {
      CHECK(e.path() == path);
      return e.what();
    }
    return "(no FileError)";
  };
  CHECK(error_of(dir + "/missing", {}) == "cannot open '" + dir + "/missing': No such file or directory");
  CHECK(error_of(dir + "/missing", "image") == "cannot open image '" + dir + "/missing': No such file or directory");
  CHECK(error_of(dir, {}) == "'" + dir + "' is a directory, not a file");
  CHECK(error_of(dir, "image") == "'" + dir + "' is a directory, not an image");
  CHECK(error_of(dir, "checkpoint") == "'" + dir + "' is a directory, not a checkpoint");
  std::system(("rm -rf " + dir).c_str());
}
