#pragma once
// Decoding with a fixed table: a lookup index from the decoder's quotient to its symbol, the
// way static-model decoders avoid searching. Building it costs a pass over 2^12 buckets, so
// it pays only for a table used many times (an adaptive model's per-byte table is searched
// by decode_symbol(dec, table) instead).
//
// The index is keyed by q = floor(value / r), r = range >> bits, unclamped: q runs up to
// 2^bits + floor((2^bits − 1) / r) with r >= 2^(32 − bits) (range >= 2^32), and the buckets
// past 2^bits (the remainder of the interval) all name the last symbol, so no clamp sits on
// the decoder's dependency chain.
//
// Invariants: first[b] is the symbol whose range holds position b · 2^shift (the bucket's
// start; the last symbol for buckets that start at or past 2^bits), so the symbol of any q in
// bucket b lies in first[b] .. first[b + 1]. A bucket inside one symbol's range (pure) also
// carries that symbol's cum and freq, so that decoding it is one load after the division (a
// second load of the table sat on the chain before: BENCHMARKS.md, "The coder alone");
// a bucket that holds a symbol boundary has freq 0.
#include <array>
#include <cassert>
#include <cstdint>

#include "src/coding/arithmetic_coder.hpp"

namespace zgen {

class SymbolIndex {
 public:
  static constexpr unsigned kBucketBits = 12;
  // Buckets for the largest q of the widest table: (2^28 + 2^24 − 1) >> 16, plus one.
  static constexpr std::uint32_t kMaxBuckets = (1u << kBucketBits) + (1u << (kMaxFrequencyBits - 20)) + 1;

  explicit SymbolIndex(const CumulativeTable& table)
      : shift_(table.bits > kBucketBits ? table.bits - kBucketBits : 0) {
    const std::uint64_t total = std::uint64_t{1} << table.bits;
    const std::uint64_t max_q = total + ((total - 1) >> (32 - table.bits));
    buckets_ = static_cast<std::uint32_t>(max_q >> shift_) + 1;
    assert(buckets_ + 1 <= kMaxBuckets);
    std::uint32_t s = 0;
    for (std::uint32_t b = 0; b <= buckets_; ++b) {
      const std::uint64_t start = std::uint64_t{b} << shift_, end = start + (std::uint64_t{1} << shift_);
      while (s < 255 && table.cum[s + 1] <= start) ++s;
      first_[b] = static_cast<std::uint8_t>(s);
      const bool pure = s == 255 || table.cum[s + 1] >= end;
      entry_[b] = {table.cum[s], pure ? table.cum[s + 1] - table.cum[s] : 0};
    }
  }

  // The symbol s with cum[s] <= q < cum[s + 1] (the last symbol for q >= 2^bits), for q from
  // decode_symbol below. A bucket that spans few symbols is walked (one or two steps); one
  // crowded with rare symbols is searched.
  std::uint8_t find(const CumulativeTable& table, std::uint64_t q) const {
    const std::uint32_t b = static_cast<std::uint32_t>(q >> shift_);
    assert(b < buckets_);
    const std::uint32_t last = table.cum[256] - 1;
    const std::uint32_t target = q < last ? static_cast<std::uint32_t>(q) : last;
    std::uint32_t s = first_[b];
    if (first_[b + 1] - s > 4u) return table.find(target);
    while (table.cum[s + 1] <= target) ++s;
    assert(s == table.find(target));
    return static_cast<std::uint8_t>(s);
  }

  // The symbol, cum and freq of a pure bucket; freq 0 when q's bucket holds a boundary.
  struct Entry {
    std::uint32_t cum, freq;
  };
  Entry entry(std::uint64_t q) const { return entry_[q >> shift_]; }
  std::uint8_t first(std::uint64_t q) const { return first_[q >> shift_]; }

 private:
  unsigned shift_;
  std::uint32_t buckets_;
  std::array<Entry, kMaxBuckets> entry_{};
  std::array<std::uint8_t, kMaxBuckets> first_{};
};

// Decodes one symbol of a fixed table through its index: the same symbol, and the same
// decoder state after, as decode_symbol(dec, table). On the chain from one symbol to the
// next: the division, one load, two products.
inline std::uint8_t decode_symbol(ArithmeticDecoder& dec, const CumulativeTable& table, const SymbolIndex& index) {
  const std::uint64_t q = dec.value() / (dec.range() >> table.bits);
  SymbolIndex::Entry e = index.entry(q);
  std::uint8_t s = index.first(q);
  if (e.freq == 0) [[unlikely]] {
    s = index.find(table, q);
    e = {table.cum[s], table.cum[s + 1] - table.cum[s]};
  }
  assert(s == table.find(dec.target(table.bits)) && e.cum == table.cum[s]);
  dec.consume(e.cum, e.freq, table.bits);
  return s;
}

}  // namespace zgen
