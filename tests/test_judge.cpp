// Judging generators: the copy rate, and `zgen compare --judge` on real text.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "src/eval/copy_rate.hpp"
#include "tests/cli_runner.hpp"
#include "tests/fixtures.hpp"

using zgen::ByteView;
using zgen::copy_rate;

TEST_CASE("copy rate counts the sample's windows found verbatim in the source") {
  const zgen::Bytes text = zgen::test::read_fixture("sotu-valid-30k.txt");
  const ByteView source(text.data(), 20000);
  // A passage of the source: every window is found.
  CHECK(copy_rate(ByteView(text.data() + 5000, 300), source) == 1.0);
  // Text from beyond the source (the rest of the file): few 16-byte windows recur in other prose.
  CHECK(copy_rate(ByteView(text.data() + 25000, 2000), source) < 0.05);
  // Random bytes are never found.
  CHECK(copy_rate(zgen::test::random_bytes(500, 7), source) == 0.0);
  // Half copied, half random: windows wholly inside the copied half count; those that straddle
  // the seam or lie in the random half do not (the random half is 100 bytes of fresh noise).
  zgen::Bytes mixed(text.begin() + 1000, text.begin() + 1100);
  const zgen::Bytes noise = zgen::test::random_bytes(100, 8);
  mixed.insert(mixed.end(), noise.begin(), noise.end());
  CHECK(copy_rate(mixed, source) == doctest::Approx(85.0 / 185.0));
  // Shorter than a window: no windows.
  CHECK(copy_rate(ByteView(text.data(), 15), source) == 0.0);
  CHECK(copy_rate(ByteView(text.data(), 16), source) == 1.0);
}

TEST_CASE("compare --judge scores each sample under the judge and reports its copy rate") {
  const std::string text = std::string(ZGEN_TEST_DATA) + "/sotu-valid-30k.txt";
  // Greedy ppm repeats common words ("to the to the ..."); greedy bzip2 emits gibberish. ppm:3
  // judges: the first must read as far more natural than the second.
  const auto o = zgen::test::run_zgen("compare --models ppm:4,bzip2:9 --context '" + text + "' --data '" + text +
                                      "' --max-bytes 50 --prompt 'The ' --length 64 --temperature 0 --seed 1 "
                                      "--threads 1 --judge ppm:3 --json");
  REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  const auto j = nlohmann::json::parse(o.out);
  REQUIRE(j["models"].size() == 2);
  for (const auto& m : j["models"]) {
    CAPTURE(m.dump());
    const double bpb = m["judge"]["bits_per_byte"], copy = m["judge"]["copy_rate"];
    CHECK(m["judge"]["model"] == "ppm:3");
    CHECK(bpb > 0.0);
    CHECK(bpb < 8.5);
    CHECK(copy >= 0.0);
    CHECK(copy <= 1.0);
  }
  const double ppm_bpb = j["models"][0]["judge"]["bits_per_byte"], bzip2_bpb = j["models"][1]["judge"]["bits_per_byte"];
  CHECK(ppm_bpb < 2.0);
  CHECK(bzip2_bpb > 4.0);

  const auto table = zgen::test::run_zgen("compare --models gzip:9 --context '" + text + "' --data '" + text +
                                          "' --max-bytes 20 --length 32 --seed 1 --threads 1 --judge ppm:2");
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("judge bits/byte") != std::string::npos);
  CHECK(table.out.find("copy rate") != std::string::npos);

  const auto bad = zgen::test::run_zgen("compare --models gzip:9 --data '" + text + "' --judge nosuch:1");
  CHECK(bad.exit_code == 2);
  CHECK(zgen::test::count_lines(bad.err) == 1);
}
