#pragma once
// Judging generated text (issue 20, "measurement first"): columns that each catch one way a
// sampler can look good without writing text, so that no sampler passes by gaming one of them.
//
//   judge bits/byte  how natural the sample reads to a judge model (typically the shipped
//                    transformer) given only the prompt: the judge never sees the context, so a
//                    copy of the context earns nothing here;
//   copy rate        the share of the sample's 16-byte windows found verbatim in the context and
//                    prompt (low temperatures and long spans copy the context: src/eval/copy_rate);
//   self-repetition  the share of its 16-byte windows that already occurred earlier in the sample
//                    (loops, "to the to the ...", read as cheap text to a judge);
//   order gain       the judge's bits/byte of the sample with its words shuffled, minus its own:
//                    real text loses about half a bit per byte when its word order goes, word salad
//                    made of the context's words loses nothing (and scores well under a judge).
//
// The judge only measures: nothing here generates. Every function is deterministic (fixed
// shuffle seeds, no clock, no threads of its own beyond the judge's).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "zgen/bytes.hpp"
#include "zgen/predictor.hpp"

namespace zgen {

// The share of the sample's `window`-byte windows (at every offset i, sample.size() − window + 1
// of them) equal to the window at some earlier offset j < i (overlapping ones included, so a
// string with period p < window repeats from its (p+1)-th window on). In [0, 1]; 0 for a sample
// shorter than one window. window ≥ 1 (InvalidParameter "window" otherwise).
double self_repetition(ByteView sample, std::size_t window = 16);

// Whitespace (space, \t, \n, \v, \f, \r) separates words: maximal runs of other bytes.
bool is_word_space(std::uint8_t byte);

// The text with its words permuted among the word slots: the text is word slots and whitespace
// runs in turn, the whitespace runs are kept in their order (the k-th run, before the first word,
// between two words or after the last, is the same bytes), and the k-th word slot gets the π(k)-th
// word, π a uniformly random permutation (Fisher–Yates on zgen's seeded Rng, so the same seed
// gives the same bytes with every standard library). The multiset of words, the layout of
// whitespace and the length are kept; only the order of the words changes.
Bytes shuffle_words(ByteView text, std::uint64_t seed);

// −log2 p(text[i] | given, text[..i]) for every byte of `text`, under `judge` reset to `given`.
// The judge must give every byte a probability (a compressor-derived judge built with alphabet
// "all"): InvalidParameter "judge" otherwise.
std::vector<double> judge_bits(Predictor& judge, ByteView given, ByteView text);
// Their mean: bits per byte (0 for an empty text).
double judge_bits_per_byte(Predictor& judge, ByteView given, ByteView text);

struct JudgeOptions {
  std::size_t window = 16;  // bytes per window, for the copy rate and the self-repetition
  int shuffles = 3;         // the order gain averages shuffle seeds 0 .. shuffles − 1 (≥ 1)
};

// All columns of one text.
struct Verdict {
  double bits_per_byte = 0;           // judge, given `given`
  double shuffled_bits_per_byte = 0;  // judge, given `given`, words shuffled (mean over the seeds)
  double order_gain = 0;              // shuffled_bits_per_byte − bits_per_byte
  double copy_rate = 0;               // windows found verbatim in `source`
  double self_repetition = 0;         // windows that already occurred earlier in the text
};

// Judges `text` as read after `given` (what the judge sees first: the prompt), with copies
// sought in `source` (what the generator saw: context and prompt).
Verdict judge_text(Predictor& judge, ByteView given, ByteView text, ByteView source, const JudgeOptions& options = {});

// The real-text reference row: `count` passages of `length` bytes of real data, each judged
// given the `lead` bytes that precede it in the data (lead = the prompt's length: the same
// amount of lead-in a sample gets from its prompt, so that both pay the judge's warm-up alike;
// see BENCHMARKS.md, "How good are the samples").
//
// Where the passages lie: the data after its first `lead` bytes is cut into `count` equal slices
// (the last one takes the remainder); passage i starts at the first word start of slice i (a
// non-whitespace byte after whitespace, or after the lead at the data's start) and must end
// inside its slice, so passages never overlap and spread over the whole data. Returns the
// passages' offsets (the lead-in of passage i is data[offset − lead, offset)), ascending.
// InvalidParameter "data" when the data is too short for that or a slice has no word start
// early enough; "length" and "count" must be ≥ 1.
std::vector<std::size_t> passage_offsets(ByteView data, std::size_t length, std::size_t count, std::size_t lead);

// Mean and spread of one column over seeds or passages.
struct Spread {
  double mean = 0, stdev = 0, min = 0, max = 0;  // stdev: sample standard deviation (0 for n < 2)
  std::size_t n = 0;
};
Spread spread(std::span<const double> values);

}  // namespace zgen
