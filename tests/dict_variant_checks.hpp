#pragma once
// What the tests of the conditional variants (zstd-dict, xz-dict, brotli-dict) share: a fast
// path (a CodeLengthState from begin()) must give exactly the lengths of the definition computed
// from scratch (code_length_bits_given), and the model the same distribution on 1 and 2 threads
// and with --no-snapshot.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "src/models/code_length_predictor.hpp"
#include "tests/fixtures.hpp"
#include "zgen/compressor.hpp"

namespace zgen::test {

inline const Bytes& sotu_70k() {
  static const Bytes all = read_fixture("sotu-valid-70k.txt");
  return all;
}

inline Bytes slice(const Bytes& b, std::size_t from, std::size_t n) {
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(from + n));
}

inline Bytes concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// How many of: the empty continuation, every `step`-th one-byte continuation and `spans`, cost
// otherwise through `state` than by the definition from scratch.
inline int mismatches(const Compressor& c, CodeLengthState& state, const Bytes& context, const std::vector<Bytes>& spans,
                      int step = 1) {
  int bad = state.context_bits() == c.code_length_bits_given(context, {}) ? 0 : 1;
  for (int x = 0; x < 256; x += step) {
    const std::uint8_t b = static_cast<std::uint8_t>(x);
    if (state.bits_with(ByteView(&b, 1)) != c.code_length_bits_given(context, ByteView(&b, 1))) ++bad;
  }
  for (const Bytes& s : spans)
    if (state.bits_with(s) != c.code_length_bits_given(context, s)) ++bad;
  return bad;
}

// The fast path against the definition after a context of each of `sizes` bytes (real text at
// even indexes, random bytes at odd ones, the last one text then random bytes), for every
// `step`-th byte and three spans. Adds the cases checked to `cases`; returns the mismatches.
inline int mismatches_over_contexts(const Compressor& c, const std::vector<std::size_t>& sizes, int step,
                                    std::mt19937_64& rng, int& cases) {
  int bad = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    Bytes context = (i % 2 == 0) ? slice(sotu_70k(), rng() % 50000, sizes[i]) : random_bytes(sizes[i], rng());
    if (i + 1 == sizes.size()) context = concat(slice(sotu_70k(), 3000, 6000), random_bytes(2000, 5));
    const std::vector<Bytes> spans = {slice(sotu_70k(), 1000 + rng() % 1000, 1 + rng() % 30), random_bytes(9, rng()),
                                      random_bytes(300, rng())};
    auto state = c.begin(context);
    bad += mismatches(c, *state, context, spans, step);
    cases += (255 / step + 1) + static_cast<int>(spans.size());
  }
  return bad;
}

// The fast path against the definition while the context grows a byte at a time (a clone taken on
// the way checked too), then by `chunk` bytes at once (past a size at which the variant
// re-prepares its state), on clones and the original.
inline int mismatches_after_append(const Compressor& c, std::size_t chunk, int step) {
  const Bytes& text = sotu_70k();
  Bytes context = slice(text, 40000, 3000);
  auto state = c.begin(context);
  const std::vector<Bytes> spans = {slice(text, 43000, 8), random_bytes(5, 3)};
  int bad = 0;
  std::unique_ptr<CodeLengthState> early;
  for (std::size_t i = 0; i < 4; ++i) {
    const Bytes one = slice(text, 43000 + i, 1);
    state->append(one);
    context = concat(context, one);
    if (i == 1) early = state->clone();
    bad += mismatches(c, *state, context, spans, step);
  }
  bad += mismatches(c, *early, slice(text, 40000, 3002), spans, step);
  const Bytes more = slice(text, 43004, chunk);
  state->append(more);
  context = concat(context, more);
  auto copy = state->clone();
  bad += mismatches(c, *copy, context, spans, step);
  bad += mismatches(c, *state, context, spans, step);
  return bad;
}

// The SPEC's distribution over all 256 bytes after `context`, for the steps of `next`: the same
// on 1 thread, on 2 and recompressing (--no-snapshot). Returns the distinct log-probabilities seen.
inline std::size_t check_same_on_threads_and_without_snapshot(const std::string& spec, const Bytes& context,
                                                              const std::string& next) {
  auto make = [&](int threads, bool snapshot) {
    PredictorOptions o;
    o.threads = threads;
    o.snapshot = snapshot;
    o.alphabet = "all";
    return CodeLengthPredictor(make_compressor(spec), o);
  };
  auto one = make(1, true), two = make(2, true), slow = make(2, false);
  one.reset(context);
  two.reset(context);
  slow.reset(context);
  std::vector<double> seen;
  for (const char ch : next) {
    std::array<double, 256> a{}, b{}, s{};
    one.log_probs(a);
    two.log_probs(b);
    slow.log_probs(s);
    CHECK(a == b);
    CHECK(a == s);
    seen.insert(seen.end(), a.begin(), a.end());
    const auto byte = static_cast<std::uint8_t>(ch);
    one.observe(byte);
    two.observe(byte);
    slow.observe(byte);
  }
  std::sort(seen.begin(), seen.end());
  return static_cast<std::size_t>(std::unique(seen.begin(), seen.end()) - seen.begin());
}

}  // namespace zgen::test
