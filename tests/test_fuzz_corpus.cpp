// Replays every saved input of every fuzz target (fuzz/corpus/<target>/) through the target's
// own body (fuzz/fuzz_<target>.hpp), so that every build checks them without libFuzzer, and the
// sanitizer pass checks them under ASan and UBSan. An input must end in a result or a
// zgen::UserError: any other exception (a broken invariant of the target, such as a round trip
// that changes the data, included) fails, and a crash stops the suite. A saved input's name
// says which of the two it must end in: "ok-" accepted, "bad-" refused ("any-": either).
#include <doctest/doctest.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "fuzz/targets.hpp"
#include "zgen/errors.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kFuzz = fs::path(ZGEN_TEST_DATA) / ".." / ".." / "fuzz";

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("every fuzz target has a libFuzzer harness, a body and a saved corpus, and no more") {
  std::set<std::string> harnesses, corpora, bodies;
  for (const auto& path : files_in(kFuzz)) {
    const std::string name = path.filename().string();
    if (name.starts_with("fuzz_") && name.ends_with(".cpp")) harnesses.insert(name.substr(5, name.size() - 9));
  }
  for (const auto& entry : fs::directory_iterator(kFuzz / "corpus"))
    if (entry.is_directory()) corpora.insert(entry.path().filename().string());
  for (const auto& target : zgen::fuzz::kTargets) bodies.insert(target.name);
  CHECK(harnesses == bodies);
  CHECK(corpora == bodies);
  CHECK(bodies.size() >= 5);
}

TEST_CASE("every saved fuzz input ends in a result or a UserError, the one its name says") {
  for (const auto& target : zgen::fuzz::kTargets) {
    CAPTURE(target.name);
    const std::vector<fs::path> files = files_in(kFuzz / "corpus" / target.name);
    int accepted = 0, refused = 0;
    for (const auto& path : files) {
      const std::string name = path.filename().string();
      CAPTURE(name);
      std::ifstream in(path, std::ios::binary);
      const zgen::Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      try {
        const zgen::fuzz::Outcome outcome = target.body(data);
        (outcome == zgen::fuzz::Outcome::accepted ? accepted : refused)++;
        if (name.starts_with("ok-")) CHECK_MESSAGE(outcome == zgen::fuzz::Outcome::accepted, "refused");
        else if (name.starts_with("bad-")) CHECK_MESSAGE(outcome == zgen::fuzz::Outcome::refused, "accepted");
        else CHECK_MESSAGE(name.starts_with("any-"), "the name does not start with ok-, bad- or any-");
      } catch (const std::exception& e) {
        FAIL_CHECK("not a result or a UserError: " << e.what());
      }
    }
    // Both kinds of seed, so that the fuzzer starts from either side of every check.
    CHECK(files.size() >= 10);
    CHECK(accepted >= 3);
    CHECK(refused >= 3);
  }
}
