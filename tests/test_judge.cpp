// Judging generators: the judge's columns (copy rate, self-repetition, the word shuffle and the
// order gain, the real-text passages), `zgen compare --judge` and `zgen judge` on real text.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "src/eval/copy_rate.hpp"
#include "src/eval/judge.hpp"
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

// ---- The judge's columns (src/eval/judge.hpp) ----

namespace {

std::string str(ByteView b) { return std::string(b.begin(), b.end()); }
zgen::Bytes bytes(const std::string& s) { return zgen::Bytes(s.begin(), s.end()); }

// The words of a text, sorted: what a shuffle must keep.
std::vector<std::string> sorted_words(const std::string& text) {
  std::vector<std::string> words;
  std::string w;
  for (char c : text) {
    if (zgen::is_word_space(static_cast<std::uint8_t>(c))) {
      if (!w.empty()) words.push_back(w);
      w.clear();
    } else {
      w += c;
    }
  }
  if (!w.empty()) words.push_back(w);
  std::sort(words.begin(), words.end());
  return words;
}

// The text's whitespace runs in order, each marked by where it lies among the words ("^" before
// the first word, "|" between two, "$" after the last): what the layout is.
std::vector<std::string> whitespace_runs(const std::string& text) {
  std::vector<std::string> runs;
  std::string run;
  bool word_seen = false;
  for (char c : text) {
    if (zgen::is_word_space(static_cast<std::uint8_t>(c))) {
      run += c;
    } else {
      if (!run.empty()) runs.push_back((word_seen ? "|" : "^") + run);
      run.clear();
      word_seen = true;
    }
  }
  if (!run.empty()) runs.push_back("$" + run);
  return runs;
}

}  // namespace

TEST_CASE("self-repetition counts windows that already occurred earlier in the sample") {
  using zgen::self_repetition;
  // "abcdefgh" looped 10 times: 65 windows of 16 bytes; window i equals window i − 8, so all but
  // the first 8 repeat.
  std::string looped;
  for (int i = 0; i < 10; ++i) looped += "abcdefgh";
  CHECK(self_repetition(bytes(looped)) == doctest::Approx(57.0 / 65.0));
  // One byte repeated: every window after the first.
  CHECK(self_repetition(bytes(std::string(40, 'a'))) == doctest::Approx(24.0 / 25.0));
  // A period as long as the window: the first lap's 16 windows (its rotations) are new, every
  // later one repeats: 1 of 17 windows in two laps, 33 of 49 in four.
  const std::string period16 = "0123456789abcdef";
  CHECK(self_repetition(bytes(period16 + period16)) == doctest::Approx(1.0 / 17.0));
  CHECK(self_repetition(bytes(period16 + period16 + period16 + period16)) == doctest::Approx(33.0 / 49.0));
  // Noise and real prose repeat (almost) nothing; a passage pasted twice repeats its second copy.
  CHECK(self_repetition(zgen::test::random_bytes(2000, 3)) == 0.0);
  const zgen::Bytes text = zgen::test::read_fixture("sotu-valid-30k.txt");
  const ByteView passage(text.data() + 3000, 500);
  CHECK(self_repetition(passage) < 0.02);
  zgen::Bytes twice(passage.begin(), passage.end());
  twice.insert(twice.end(), passage.begin(), passage.end());
  // 985 windows: the 485 inside the first copy (nearly all new), the 15 across the seam, the 485
  // inside the second copy (all seen).
  CHECK(self_repetition(twice) >= 485.0 / 985.0);
  CHECK(self_repetition(twice) < 0.52);
  // Shorter than a window: none; another window size.
  CHECK(self_repetition(bytes("abcabcabcabcabc")) == 0.0);
  CHECK(self_repetition(bytes("abcabcabc"), 3) == doctest::Approx(4.0 / 7.0));
  CHECK(zgen::test::user_error_of([] { self_repetition(bytes("abc"), 0); }).find("window") != std::string::npos);
}

TEST_CASE("a word shuffle keeps the words and the whitespace layout, and only order changes") {
  const std::string text = "  The quick\tbrown  fox\n\njumps over the lazy dog; the dog sleeps.\r\n";
  const std::string shuffled = str(zgen::shuffle_words(bytes(text), 0));
  CHECK(shuffled.size() == text.size());
  CHECK(whitespace_runs(shuffled) == whitespace_runs(text));
  CHECK(sorted_words(shuffled) == sorted_words(text));
  CHECK(shuffled != text);
  // Seeds reproduce, bit for bit with every standard library (zgen's own Rng and Fisher–Yates):
  // this is seed 0's permutation.
  CHECK(shuffled == str(zgen::shuffle_words(bytes(text), 0)));
  CHECK(shuffled == "  over The\tthe  the\n\nfox brown jumps quick lazy sleeps. dog dog;\r\n");
  CHECK(str(zgen::shuffle_words(bytes(text), 1)) != shuffled);
  // Nothing to permute: no words, one word, one word between spaces; empty text.
  CHECK(str(zgen::shuffle_words(bytes(" \n\t "), 5)) == " \n\t ");
  CHECK(str(zgen::shuffle_words(bytes("word"), 5)) == "word");
  CHECK(str(zgen::shuffle_words(bytes("\nword  "), 5)) == "\nword  ");
  CHECK(zgen::shuffle_words(ByteView(), 5).empty());
  // Every permutation of three words turns up over seeds (the shuffle is not stuck).
  std::set<std::string> seen;
  for (std::uint64_t s = 0; s < 60; ++s) seen.insert(str(zgen::shuffle_words(bytes("a b c"), s)));
  CHECK(seen.size() == 6);
}

TEST_CASE("order gain: a shuffle costs structured text bits under a judge, and word salad nothing") {
  // A text whose words come in a fixed order: the judge learns the order as it reads.
  std::string structured;
  for (int i = 0; i < 25; ++i) structured += "the cat sat on the mat and the dog lay by the door. ";
  // Word salad: the same words in a random order. Shuffling it again changes nothing on average.
  const zgen::Bytes salad = zgen::shuffle_words(bytes(structured), 99);
  for (const char* spec : {"ppm:2", "gzip:9"}) {
    CAPTURE(spec);
    auto judge = zgen::test::make_single_threaded(spec);
    const zgen::Verdict real = zgen::judge_text(*judge, bytes("The "), bytes(structured), ByteView());
    const zgen::Verdict word_salad = zgen::judge_text(*judge, bytes("The "), salad, ByteView());
    CHECK(real.order_gain == doctest::Approx(real.shuffled_bits_per_byte - real.bits_per_byte));
    CHECK(real.order_gain > 0.5);
    // Salad's own order is one random draw among those of its shuffles: a judge that reads the
    // salad as well or as badly as its shuffles gains a small fraction of the structured text's.
    CHECK(std::abs(word_salad.order_gain) < 0.2 * real.order_gain);
    CHECK(word_salad.bits_per_byte > real.bits_per_byte + 0.5);
  }
}
