// The examples (examples/), built against zgen::zgen, run as a user runs them.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

namespace {
std::string run(const std::string& args) {
  const std::string cmd = std::string("'") + ZGEN_EXAMPLE_GENERATE + "' " + args;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  CHECK(pclose(p) == 0);
  return out;
}
}  // namespace

TEST_CASE("the gzip generation example prints the requested bytes, reproducibly") {
  const std::string a = run("- 40 5"), b = run("- 40 5"), c = run("- 40 6");
  CHECK(a.size() == 41);  // 40 bytes and a newline
  CHECK(a == b);
  CHECK(a != c);
  const std::string on_fixture = run(std::string("'") + ZGEN_TEST_DATA + "/sotu-valid-70k.txt' 20 1");
  CHECK(on_fixture.size() == 21);
}

TEST_CASE("the compression example round-trips a file through the .zgen container") {
  const std::string cmd = std::string("'") + ZGEN_EXAMPLE_COMPRESS + "' '" + ZGEN_TEST_DATA + "/sotu-valid-30k.txt' ppm:3";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  CHECK(pclose(p) == 0);
  CHECK(out.find("ppm:3: 29985 -> ") == 0);
  CHECK(out.find("decoded exactly") != std::string::npos);
}
