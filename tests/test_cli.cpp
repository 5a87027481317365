// The CLI as a user meets it: defaults, --help, and every kind of bad input.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "src/cli/slow_model.hpp"
#include "tests/cli_runner.hpp"

using zgen::test::count_lines;
using zgen::test::expect_user_error;
using zgen::test::run_zgen;

namespace {

const std::string kText = std::string(ZGEN_TEST_DATA) + "/sotu-valid-70k.txt";


std::string write_temp(const std::string& name, const std::string& bytes) {
  const std::string path = "/tmp/zgen-cli-" + std::to_string(::getpid()) + "-" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace

TEST_CASE("zgen with no arguments samples 300 bytes from gzip on the built-in corpus") {
  const auto o = run_zgen("--threads 1");
  REQUIRE(o.exit_code == 0);
  CHECK(o.out.size() == 300);
  CHECK(o.err.find("gzip:9") != std::string::npos);
  CHECK(o.err.find("seed") != std::string::npos);
  CHECK(o.err.find("built-in corpus") != std::string::npos);
}

TEST_CASE("same seed, same bytes, whatever the thread count") {
  const auto a = run_zgen("sample --length 40 --seed 11 --threads 1 -q");
  const auto b = run_zgen("sample --length 40 --seed 11 --threads 2 -q");
  const auto c = run_zgen("sample --length 40 --seed 12 --threads 2 -q");
  REQUIRE(a.exit_code == 0);
  CHECK(a.out.size() == 40);
  CHECK(a.out == b.out);
  CHECK(a.out != c.out);
}

TEST_CASE("--help on every subcommand") {
  for (const char* cmd : {"--help", "sample --help", "score --help", "compare --help"}) {
    CAPTURE(cmd);
    const auto o = run_zgen(cmd);
    CHECK(o.exit_code == 0);
    CHECK(o.out.find("usage: zgen") != std::string::npos);
  }
}

TEST_CASE("score prints bits per byte and the compressor's own size; --json parses") {
  const auto o = run_zgen("score --model gzip:6 --context '" + kText + "' --data '" + kText + "' --max-bytes 60 --threads 1");
  REQUIRE(o.exit_code == 0);
  CHECK(o.out.find("bits/byte") != std::string::npos);
  CHECK(o.out.find("own rate alone") != std::string::npos);
  const auto j = run_zgen("score --model gzip:6 --data '" + kText + "' --max-bytes 30 --json --threads 1");
  REQUIRE(j.exit_code == 0);
  CHECK(j.out.find("\"bits_per_byte\"") != std::string::npos);
}

TEST_CASE("compare prints one row per model and a sample from each") {
  const auto o = run_zgen("compare --models gzip:9,bzip2:9 --context '" + kText + "' --data '" + kText +
                          "' --max-bytes 20 --length 10 --seed 3 --threads 1");
  REQUIRE(o.exit_code == 0);
  CHECK(o.out.find("| gzip:9") != std::string::npos);
  CHECK(o.out.find("| bzip2:9") != std::string::npos);
  CHECK(o.out.find("samples") != std::string::npos);
}

TEST_CASE("a slow model's notice names the fast definition of its family") {
  using zgen::cli::faster_spec;
  CHECK(faster_spec("zstd:19") == "zstd-dict:19");
  CHECK(faster_spec("zstd") == "zstd-dict");
  CHECK(faster_spec("xz:6") == "xz-dict:6");
  CHECK(faster_spec("brotli:11") == "brotli-dict:11");
  CHECK(faster_spec("gzip:9").empty());  // gzip's own fast path is exact already
  CHECK(faster_spec("zstd-dict:19").empty());
  CHECK(faster_spec("ppm:6").empty());
  // The variant it names is a SPEC that scores, and says which ℓ(data | context) it reports.
  const auto o = run_zgen("score --model zstd-dict:19 --context '" + kText + "' --data '" + kText +
                          "' --max-bytes 20 --threads 1 --no-coder");
  REQUIRE(o.exit_code == 0);
  CHECK(o.out.find("context as a dictionary") != std::string::npos);
}

TEST_CASE("bad input: one line, exit code 2, never a crash") {
  const std::string empty = write_temp("empty", "");
  const std::string binary = write_temp("binary", std::string("\x00\xff\x10\x80\x00\x01\x02", 7));
  expect_user_error("sample --context /no/such/file", "/no/such/file");
  expect_user_error("sample --context /tmp", "directory");
  expect_user_error("sample --model nosuch", "nosuch");
  expect_user_error("sample --model gzip:99", "gzip");
  expect_user_error("sample --model gzip:x", "gzip");
  expect_user_error("sample --model ''", "spec");
  expect_user_error("sample --temperature -1", "temperature");
  expect_user_error("sample --temperature nan", "temperature");
  expect_user_error("sample --temperature 1.5x", "temperature");
  expect_user_error("sample --top-k 0", "top-k");
  expect_user_error("sample --top-p 0", "top-p");
  expect_user_error("sample --top-p 1.5", "top-p");
  expect_user_error("sample --min-p 2", "min-p");
  expect_user_error("sample --length -3", "length");
  expect_user_error("sample --length lots", "length");
  expect_user_error("sample --threads 0", "threads");
  expect_user_error("sample --alphabet greek", "alphabet");
  expect_user_error("sample --no-such-option", "no-such-option");
  expect_user_error("score --model gzip --data " + empty, "empty");
  expect_user_error("score --model gzip", "data");
  expect_user_error("compare --models gzip,,xz --data " + binary, "models");
  expect_user_error("frobnicate", "frobnicate");
  expect_user_error("sample -q --model 'cmd:false' --length 2 --no-corpus --prompt ab", "cmd");
  expect_user_error("sample -q --model 'cmd:true' --length 2 --no-corpus --prompt ab", "nothing");
  // A compressor that fails only on some continuations, inside the parallel costing.
  expect_user_error("sample -q --threads 1 --alphabet printable --model 'cmd:\"d=$(cat); case $d in *Z*) exit 3;; esac; printf %s $d | gzip -c\"' "
                    "--length 2 --no-corpus --prompt ab", "exit");
  std::remove(empty.c_str());
  std::remove(binary.c_str());
}

TEST_CASE("edge inputs that are fine: empty context, binary context, greedy") {
  const std::string empty = write_temp("empty2", "");
  const std::string binary = write_temp("binary2", std::string("\x00\xff\x10\x80\x00\x01\x02\x00\xff", 9));
  auto o = run_zgen("sample --context " + empty + " --length 5 --seed 1 -q --threads 1");
  CHECK(o.exit_code == 0);
  CHECK(o.out.size() == 5);
  o = run_zgen("sample --context " + binary + " --length 5 --seed 1 -q --threads 1");
  CHECK(o.exit_code == 0);
  CHECK(o.out.size() == 5);
  const auto g1 = run_zgen("sample --temperature 0 --length 20 --seed 1 -q --threads 1");
  const auto g2 = run_zgen("sample --temperature 0 --length 20 --seed 2 -q --threads 1");
  CHECK(g1.exit_code == 0);
  CHECK(g1.out == g2.out);  // greedy ignores the seed
  o = run_zgen("score --model gzip:9 --data " + binary + " --threads 1 -q");
  CHECK(o.exit_code == 0);
  std::remove(empty.c_str());
  std::remove(binary.c_str());
}

TEST_CASE("a hanging cmd: compressor times out with a clear error") {
  const auto o = run_zgen("sample --model 'cmd:sleep 30' --cmd-timeout 1 --length 1 --no-corpus --prompt a --alphabet printable -q");
  CHECK(o.exit_code == 2);
  CHECK(count_lines(o.err) == 1);
  CHECK(o.err.find("timed out") != std::string::npos);
}
