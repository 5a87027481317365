#pragma once
// Runs the real zgen binary (ZGEN_BINARY) through the shell and captures what it did.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace zgen::test {

struct Outcome {
  int exit_code;
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// `args` is shell text (quote it yourself); stdin is /dev/null unless `input` names a file.
inline Outcome run_zgen(const std::string& args, const std::string& input = "/dev/null") {
  static int counter = 0;
  const std::string base = "/tmp/zgen-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const std::string cmd = std::string("'") + ZGEN_BINARY + "' " + args + " <" + input + " >" + base + ".out 2>" + base + ".err";
  const int status = std::system(cmd.c_str());
  Outcome o{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(base + ".out"), slurp(base + ".err")};
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return o;
}

inline std::size_t count_lines(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// Bad input: a clear one-line error naming the problem, exit code 2, nothing on stdout.
inline void expect_user_error(const std::string& args, const std::string& mentions) {
  CAPTURE(args);
  const auto o = run_zgen(args);
  CHECK(o.exit_code == 2);
  CHECK(count_lines(o.err) == 1);
  CHECK(o.err.rfind("zgen: ", 0) == 0);
  CHECK_MESSAGE(o.err.find(mentions) != std::string::npos, o.err);
  CHECK(o.out.empty());
}

}  // namespace zgen::test
