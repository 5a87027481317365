// Replays every saved input of the container fuzzer (fuzz/corpus/) through the fuzz target's
// own body, so CI checks them without libFuzzer. scripts/fuzz.sh finds new ones.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz/fuzz_container.hpp"
#include "zgen/errors.hpp"

TEST_CASE("every saved fuzz input ends in a result or a UserError") {
  const std::filesystem::path corpus = std::filesystem::path(ZGEN_TEST_DATA) / ".." / ".." / "fuzz" / "corpus";
  REQUIRE(std::filesystem::is_directory(corpus));
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(corpus))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  CHECK(files.size() >= 20);
  for (const auto& path : files) {
    CAPTURE(path.string());
    std::ifstream in(path, std::ios::binary);
    const zgen::Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(zgen::fuzz::fuzz_container_one_input(data.data(), data.size()) == 0);
  }
}
