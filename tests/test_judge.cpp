// Judging generators: the judge's columns (copy rate, self-repetition, the word shuffle and the
// order gain, the real-text passages), `zgen compare --judge` and `zgen judge` on real text.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <unistd.h>

#include "src/common/file_io.hpp"

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
  // The context: the fixture's first 4 KB (bzip2 recompresses the whole context for each of the
  // 256 candidates of each byte: 30 KB made this test take minutes on a loaded machine).
  const zgen::Bytes whole = zgen::test::read_fixture("sotu-valid-30k.txt");
  const std::string context =
      (std::filesystem::temp_directory_path() / ("zgen-test-judge-context-" + std::to_string(::getpid()) + ".txt")).string();
  zgen::write_file_atomically(context, zgen::ByteView(whole.data(), 4096));
  struct Remove {
    std::string path;
    ~Remove() { std::filesystem::remove(path); }
  } remove_context{context};
  // The paper's byte method: greedy ppm repeats common words ("to the to the ..."); greedy bzip2
  // emits gibberish. ppm:3 judges: the first must read as far more natural than the second.
  const auto o = zgen::test::run_zgen("compare --models ppm:4,bzip2:9 --context '" + context + "' --data '" + text +
                                      "' --max-bytes 8 --prompt 'The ' --length 64 --temperature 0 --seed 1 --method bytes "
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

  // compare's samples are `zgen sample`'s for the same seed: the span method by default, the byte
  // method on request, and the two differ.
  for (const std::string method : {"", " --method bytes"}) {
    CAPTURE(method);
    const auto c = zgen::test::run_zgen("compare --models gzip:9 --context '" + context + "' --data '" + text +
                                        "' --max-bytes 10 --prompt 'The ' --length 48 --seed 3 --threads 1 --json" + method);
    const auto s = zgen::test::run_zgen("sample -m gzip:9 -c '" + context + "' -p 'The ' -n 48 --seed 3 -j1 -q" + method);
    REQUIRE_MESSAGE(c.exit_code == 0, c.err);
    REQUIRE_MESSAGE(s.exit_code == 0, s.err);
    CHECK(nlohmann::json::parse(c.out)["models"][0]["sample"] == s.out);
  }
  const auto spans = zgen::test::run_zgen("sample -m gzip:9 -c '" + context + "' -p 'The ' -n 48 --seed 3 -j1 -q");
  const auto bytes_method =
      zgen::test::run_zgen("sample -m gzip:9 -c '" + context + "' -p 'The ' -n 48 --seed 3 -j1 -q --method bytes");
  CHECK(spans.out != bytes_method.out);

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
  CHECK(shuffled == "  jumps quick\tthe  dog;\n\nThe over brown fox sleeps. the dog lazy\r\n");
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

TEST_CASE("real-text passages: one per equal slice of the data, each from its slice's first word start") {
  // x0 y1 _2 a3-6 _7 b8-11 _12 c13-16 _17 d18-21 _22 e23-26 _27 f28-31: after a lead-in of 2 the
  // 30 bytes make two slices of 15, [2, 17) and [17, 32); their first word starts are 3 and 18.
  const zgen::Bytes data = bytes("xy aaaa bbbb cccc dddd eeee ffff");
  const auto at = zgen::passage_offsets(data, 9, 2, 2);
  CHECK(at == std::vector<std::size_t>{3, 18});
  CHECK(str(ByteView(data.data() + at[0], 9)) == "aaaa bbbb");
  CHECK(str(ByteView(data.data() + at[1] - 2, 2)) == "c ");  // passage 2's lead-in
  // No lead-in: the data's first byte starts a word; one slice, one passage.
  CHECK(zgen::passage_offsets(data, 9, 1, 0) == std::vector<std::size_t>{0});
  CHECK(zgen::passage_offsets(bytes("  ab cd"), 2, 1, 0) == std::vector<std::size_t>{2});
  // Too short for the passages, or no word start early enough in a slice.
  auto error = [&](ByteView d, std::size_t length, std::size_t count, std::size_t lead) {
    return zgen::test::user_error_of([&] { zgen::passage_offsets(d, length, count, lead); });
  };
  CHECK(error(data, 16, 2, 2).find("data has 32 bytes, too few for 2 passages of 16 bytes") != std::string::npos);
  CHECK(error(bytes(std::string(30, 'a')), 5, 1, 2).find("no word start") != std::string::npos);
  // Slice 1 is [2, 17): its first word start, 3, leaves 14 bytes, one short of 15.
  CHECK(error(data, 15, 2, 2).find("no word start early enough in its part 1 of 2") != std::string::npos);
  CHECK(error(data, 0, 2, 2).find("length") != std::string::npos);
  CHECK(error(data, 5, 0, 2).find("count") != std::string::npos);

  // On real prose: five 1,000-byte passages, each after whitespace, apart and spread out.
  const zgen::Bytes text = zgen::test::read_fixture("sotu-valid-30k.txt");
  const auto offsets = zgen::passage_offsets(text, 1000, 5, 4);
  REQUIRE(offsets.size() == 5);
  const std::size_t slice = (text.size() - 4) / 5;
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    CAPTURE(i);
    CHECK(offsets[i] >= 4 + i * slice);
    CHECK(offsets[i] + 1000 <= 4 + (i + 1) * slice);
    CHECK(zgen::is_word_space(text[offsets[i] - 1]));
    CHECK(!zgen::is_word_space(text[offsets[i]]));
  }
}

TEST_CASE("spread: mean, sample standard deviation, min and max") {
  const std::vector<double> v = {4, 1, 3, 2};
  const zgen::Spread s = zgen::spread(v);
  CHECK(s.n == 4);
  CHECK(s.mean == doctest::Approx(2.5));
  CHECK(s.stdev == doctest::Approx(std::sqrt(5.0 / 3.0)));
  CHECK(s.min == 1);
  CHECK(s.max == 4);
  const std::vector<double> one = {7};
  CHECK(zgen::spread(one).stdev == 0);
  CHECK(zgen::spread(one).mean == 7);
  CHECK(zgen::spread(std::vector<double>{}).n == 0);
}

TEST_CASE("judge_text: the columns of a copy, a loop and real text; a judge must price every byte") {
  const zgen::Bytes text = zgen::test::read_fixture("sotu-valid-30k.txt");
  const ByteView context(text.data(), 20000);
  auto judge = zgen::test::make_single_threaded("ppm:3");
  // A passage of the context: copied whole.
  const ByteView copied(text.data() + 5000, 400);
  const zgen::Verdict copy = zgen::judge_text(*judge, bytes("The "), copied, context);
  CHECK(copy.copy_rate == 1.0);
  CHECK(copy.self_repetition < 0.05);
  // The bits/byte is the judge's mean over the text, given the prompt.
  CHECK(copy.bits_per_byte == doctest::Approx(zgen::judge_bits_per_byte(*judge, bytes("The "), copied)));
  const std::vector<double> bits = zgen::judge_bits(*judge, bytes("The "), copied);
  CHECK(bits.size() == copied.size());
  // A loop: repeats itself, copies nothing.
  std::string loop;
  while (loop.size() < 400) loop += "we will we will ";
  const zgen::Verdict looped = zgen::judge_text(*judge, bytes("The "), bytes(loop), context);
  CHECK(looped.self_repetition > 0.9);
  CHECK(looped.copy_rate == 0.0);
  // Judging the same text twice gives the same verdict (the judge is reset each time).
  const zgen::Verdict again = zgen::judge_text(*judge, bytes("The "), copied, context);
  CHECK(again.bits_per_byte == copy.bits_per_byte);
  CHECK(again.order_gain == copy.order_gain);
  // A compressor judge must be built with alphabet "all".
  zgen::PredictorOptions restricted;
  restricted.alphabet = "printable";
  auto partial = zgen::make_predictor("gzip:6", restricted);
  const std::string message = zgen::test::user_error_of([&] { zgen::judge_bits(*partial, {}, bytes("a\x01")); });
  CHECK(message.find("judge gzip:6 gives byte 1 no probability") != std::string::npos);
  zgen::JudgeOptions none;
  none.shuffles = 0;
  CHECK(zgen::test::user_error_of([&] { zgen::judge_text(*judge, {}, copied, context, none); }).find("shuffles") !=
        std::string::npos);
}

TEST_CASE("judge_sampled_pixels: the judge's mean over the sampled pixels only") {
  auto judge = zgen::test::make_single_threaded("ppm:2");
  const zgen::Bytes region = {10, 12, 200, 14, 10, 12, 90, 14};
  const std::vector<std::uint8_t> known = {1, 1, 0, 0, 1, 1, 0, 0};
  const zgen::Bytes prior = {10, 12, 13, 14};
  const std::vector<double> bits = zgen::judge_bits(*judge, prior, region);
  CHECK(zgen::judge_sampled_pixels(*judge, prior, region, known) ==
        doctest::Approx((bits[2] + bits[3] + bits[6] + bits[7]) / 4));
  CHECK(zgen::test::user_error_of([&] { zgen::judge_sampled_pixels(*judge, prior, region, std::vector<std::uint8_t>(8, 1)); })
            .find("no pixel") != std::string::npos);
  CHECK(zgen::test::user_error_of([&] { zgen::judge_sampled_pixels(*judge, prior, region, std::vector<std::uint8_t>(7, 0)); })
            .find("known") != std::string::npos);
}

namespace {

// A judge whose probabilities are written down, so that every column of a tiny case can be worked
// out by hand: the byte after the last non-whitespace byte seen (in value: 'a' → 'b') has
// probability 1/2, each of the other 255 bytes 1/510; with no such byte seen yet, all are 1/256.
// A hit costs 1 bit, a miss log2(510). Whitespace never hits and leaves the expectation alone,
// so the judge reads "ab cd" as one run a-b-c-d and prices word order.
struct NextLetterJudge final : zgen::Predictor {
  int last = -1;
  std::string name() const override { return "next-letter"; }
  void reset(ByteView context) override {
    last = -1;
    for (std::uint8_t b : context) observe(b);
  }
  void observe(std::uint8_t b) override {
    if (!zgen::is_word_space(b)) last = b;
  }
  void log_probs(std::span<double, 256> out) override {
    if (last < 0 || last == 255) {
      std::fill(out.begin(), out.end(), -std::log(256.0));
      return;
    }
    std::fill(out.begin(), out.end(), -std::log(510.0));
    out[static_cast<std::size_t>(last + 1)] = -std::log(2.0);
  }
};

// Bits of `hits` hits and `misses` misses under NextLetterJudge.
double hand_bits(int hits, int misses) { return hits + misses * std::log2(510.0); }

}  // namespace

TEST_CASE("the judge's columns on a tiny case, worked out by hand (the shuffles included)") {
  NextLetterJudge judge;
  // "ab cd ef ab" after the prompt "`" ('a' − 1): every word's second letter hits; a word's first
  // letter hits when it follows the letter before it (` → a, b → c, d → e, not f → a); the three
  // spaces miss. 4 + 3 = 7 hits, 4 misses.
  const zgen::Bytes text = bytes("ab cd ef ab"), prompt = bytes("`");
  const std::vector<double> bits = zgen::judge_bits(judge, prompt, text);
  const double miss = std::log2(510.0);
  const std::vector<double> expected_bits = {1, 1, miss, 1, 1, miss, 1, 1, miss, miss, 1};
  REQUIRE(bits.size() == expected_bits.size());
  for (std::size_t i = 0; i < bits.size(); ++i) CHECK(bits[i] == doctest::Approx(expected_bits[i]));
  const double own = hand_bits(7, 4) / 11;
  CHECK(zgen::judge_bits_per_byte(judge, prompt, text) == doctest::Approx(own));

  // The shuffles of seeds 0, 1, 2 (pinned: SplitMix64 is fixed for good), counted the same way:
  //   "ef cd ab ab": no first letter hits (` → e, f → c, d → a, b → a): 4 hits, 7 misses;
  //   "ef ab ab cd": b → c only: 5 hits, 6 misses;
  //   "ab cd ab ef": ` → a and b → c: 6 hits, 5 misses.
  CHECK(str(zgen::shuffle_words(text, 0)) == "ef cd ab ab");
  CHECK(str(zgen::shuffle_words(text, 1)) == "ef ab ab cd");
  CHECK(str(zgen::shuffle_words(text, 2)) == "ab cd ab ef");
  const double shuffled = (hand_bits(4, 7) + hand_bits(5, 6) + hand_bits(6, 5)) / 3 / 11;
  CHECK(shuffled - own == doctest::Approx(2 * (miss - 1) / 11));  // on average two hits became misses

  // Copies and repeats with 2-byte windows: the text's 10 windows are ab, "b ", " c", cd, "d ",
  // " e", ef, "f ", " a", ab. The source "zab cq" holds ab, "b " and " c": 4 of the 10 windows
  // (ab twice). The last ab repeats the first: 1 of 10.
  zgen::JudgeOptions options;
  options.window = 2;
  options.shuffles = 3;
  const zgen::Verdict v = zgen::judge_text(judge, prompt, text, bytes("zab cq"), options);
  CHECK(v.bits_per_byte == doctest::Approx(own));
  CHECK(v.shuffled_bits_per_byte == doctest::Approx(shuffled));
  CHECK(v.order_gain == doctest::Approx(shuffled - own));
  CHECK(v.copy_rate == doctest::Approx(4.0 / 10.0));
  CHECK(v.self_repetition == doctest::Approx(1.0 / 10.0));
  // One shuffle: seed 0's order alone.
  options.shuffles = 1;
  CHECK(zgen::judge_text(judge, prompt, text, bytes("zab cq"), options).order_gain ==
        doctest::Approx((hand_bits(4, 7) - hand_bits(7, 4)) / 11));
}

TEST_CASE("order gain under a real judge: the mean over the shuffle seeds of their bits/byte, minus the text's own") {
  const zgen::Bytes data = zgen::test::read_fixture("sotu-valid-30k.txt");
  const ByteView passage(data.data() + 12000, 300);
  auto judge = zgen::test::make_single_threaded("ppm:3");
  const zgen::Verdict v = zgen::judge_text(*judge, bytes("The "), passage, ByteView());
  double shuffled = 0;
  for (std::uint64_t s = 0; s < 3; ++s)
    shuffled += zgen::judge_bits_per_byte(*judge, bytes("The "), zgen::shuffle_words(passage, s));
  CHECK(v.bits_per_byte == doctest::Approx(zgen::judge_bits_per_byte(*judge, bytes("The "), passage)));
  CHECK(v.shuffled_bits_per_byte == doctest::Approx(shuffled / 3));
  CHECK(v.order_gain == doctest::Approx(shuffled / 3 - v.bits_per_byte));
  CHECK(v.order_gain > 0.05);  // real prose: its word order is worth something even to ppm:3
}

// ---- zgen judge, end to end ----

TEST_CASE("zgen judge: generators' samples are zgen sample's, real passages and sample files judged alike") {
  const std::string data = std::string(ZGEN_TEST_DATA) + "/sotu-valid-70k.txt";
  const std::string context = std::string(ZGEN_TEST_DATA) + "/sotu-valid-30k.txt";
  const std::string mine = "/tmp/zgen-judge-" + std::to_string(::getpid()) + ".txt";
  const std::string mine_text = "We the people of the United States, in order to form a more perfect union";
  {
    std::FILE* f = std::fopen(mine.c_str(), "wb");
    REQUIRE(f);
    std::fwrite(mine_text.data(), 1, mine_text.size(), f);
    std::fclose(f);
  }
  const std::string common = "--judge ppm:2 --context '" + context + "' --prompt 'The ' --threads 1 -q";
  const auto o = zgen::test::run_zgen("judge " + common + " --data '" + data + "' --length 100 --seeds 2 --seed 4 " +
                                      "--generator 'ppm:3 --temperature 0.5 --method bytes' --samples mine=" + mine + " --json");
  REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  CHECK(o.err.empty());
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["judge"] == "ppm:2");
  CHECK(j["shuffles"] == 3);
  CHECK(j["window"] == 16);

  // The real-text row: the passages at passage_offsets, as bytes of the data file.
  const zgen::Bytes whole = zgen::test::read_fixture("sotu-valid-70k.txt");
  const auto offsets = zgen::passage_offsets(whole, 100, 2, 4);
  const auto& ref = j["reference"];
  REQUIRE(ref["texts"].size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(ref["texts"][i]["offset"] == offsets[i]);
    CHECK(ref["texts"][i]["text"] == str(ByteView(whole.data() + offsets[i], 100)));
  }

  // The generator's samples are exactly what `zgen sample` writes with the same flags and seeds,
  // and each cell's mean is the mean over the texts.
  const auto& gens = j["generators"];
  REQUIRE(gens.size() == 2);
  CHECK(gens[0]["label"] == "ppm:3 --temperature 0.5 --method bytes");
  REQUIRE(gens[0]["texts"].size() == 2);
  for (int k = 0; k < 2; ++k) {
    const auto& t = gens[0]["texts"][k];
    CHECK(t["seed"] == 4 + k);
    const auto sample = zgen::test::run_zgen("sample -m ppm:3 --temperature 0.5 --method bytes --context '" + context +
                                             "' --prompt 'The ' -n 100 -q --seed " + std::to_string(4 + k));
    REQUIRE(sample.exit_code == 0);
    CHECK(t["text"] == sample.out);
  }
  for (const char* column : {"bits_per_byte", "order_gain", "copy_rate", "self_repetition"}) {
    CAPTURE(column);
    const double a = gens[0]["texts"][0][column], b = gens[0]["texts"][1][column];
    CHECK(gens[0][column]["mean"].get<double>() == doctest::Approx((a + b) / 2));
    CHECK(gens[0][column]["min"].get<double>() == std::min(a, b));
  }

  // A sample file is judged as a generator's sample is: given the prompt, copies sought in the
  // context and prompt.
  CHECK(gens[1]["label"] == "mine");
  auto judge = zgen::test::make_single_threaded("ppm:2");
  const zgen::Bytes source = [&] {
    zgen::Bytes s = zgen::test::read_fixture("sotu-valid-30k.txt");
    s.insert(s.end(), {'T', 'h', 'e', ' '});
    return s;
  }();
  const zgen::Verdict v = zgen::judge_text(*judge, bytes("The "), bytes(mine_text), source);
  CHECK(gens[1]["texts"][0]["bits_per_byte"].get<double>() == doctest::Approx(v.bits_per_byte));
  CHECK(gens[1]["texts"][0]["order_gain"].get<double>() == doctest::Approx(v.order_gain));
  CHECK(gens[1]["texts"][0]["copy_rate"].get<double>() == doctest::Approx(v.copy_rate));

  // The table: a real-text row first, then the rows in order, each cell "mean (min–max)".
  const auto table = zgen::test::run_zgen("judge " + common + " --data '" + data + "' --length 100 --seeds 2 --samples mine=" + mine);
  REQUIRE_MESSAGE(table.exit_code == 0, table.err);
  for (const char* title : {"judge bits/byte", "order gain", "copy rate", "self-repetition", "| real text", "| mine"})
    CHECK_MESSAGE(table.out.find(title) != std::string::npos, title);
  CHECK(table.out.find("| real text") < table.out.find("| mine"));

  const auto help = zgen::test::run_zgen("judge --help");
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("order gain") != std::string::npos);
  CHECK(help.out.find("never takes part in generating") != std::string::npos);

  // Bad input: one line, exit 2, before any sampling.
  using zgen::test::expect_user_error;
  const std::string d = " --data '" + data + "'";
  expect_user_error("judge --data '" + data + "'", "judge");
  expect_user_error("judge --judge ppm:2", "nothing to judge");
  expect_user_error("judge --judge nosuch:1" + d, "nosuch");
  expect_user_error("judge --judge ppm:2 --length 0" + d, "--length must be at least 1");
  expect_user_error("judge --judge ppm:2 --seeds 0" + d, "--seeds must be at least 1");
  expect_user_error("judge --judge ppm:2 --shuffles 0" + d, "--shuffles must be at least 1");
  expect_user_error("judge --judge ppm:2 --generator '--temperature 1'" + d, "must start with a model SPEC");
  expect_user_error("judge --judge ppm:2 --generator 'gzip:9 --bogus 1'" + d, "--bogus");
  expect_user_error("judge --judge ppm:2 --generator 'gzip:9 -t -1'" + d, "--temperature must be at least 0");
  expect_user_error("judge --judge ppm:2 --generator 'nosuch:1'" + d, "nosuch");
  expect_user_error("judge --judge ppm:2 --samples /nonexistent-zgen.txt" + d, "nonexistent-zgen.txt");
  expect_user_error("judge --judge ppm:2 --data '" + mine + "' --length 1000", "too few for 5 passages");
  expect_user_error("judge --judge ppm:2 --json-out /nonexistent-zgen/x.json" + d, "does not exist");
  std::remove(mine.c_str());
}
