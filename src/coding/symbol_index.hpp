#pragma once
// Decoding with a fixed table: a lookup index from the target position to its symbol, the
// way static-model decoders avoid searching. Building it costs a pass over 2^12 buckets, so
// it pays only for a table used many times (an adaptive model's per-byte table is searched
// by decode_symbol(dec, table) instead).
//
// Invariant: first[b] is the symbol whose range holds position b · 2^shift (the bucket's
// start), so the symbol of any target in bucket b lies in first[b] .. first[b + 1]
// (first[2^kBucketBits] is the last symbol).
#include <array>
#include <cassert>
#include <cstdint>

#include "src/coding/arithmetic_coder.hpp"

namespace zgen {

class SymbolIndex {
 public:
  static constexpr unsigned kBucketBits = 12;

  explicit SymbolIndex(const CumulativeTable& table)
      : shift_(table.bits > kBucketBits ? table.bits - kBucketBits : 0) {
    const std::uint32_t buckets = std::uint32_t{1} << (table.bits - shift_);
    std::uint32_t s = 0;
    for (std::uint32_t b = 0; b <= buckets; ++b) {
      const std::uint32_t position = b < buckets ? b << shift_ : table.cum[256] - 1;
      while (table.cum[s + 1] <= position) ++s;
      first_[b] = static_cast<std::uint8_t>(s);
    }
  }

  // The symbol s with cum[s] <= target < cum[s + 1]. A bucket that spans few symbols is
  // walked (the usual case: one or two steps); one crowded with rare symbols is searched.
  std::uint8_t find(const CumulativeTable& table, std::uint32_t target) const {
    const std::uint32_t b = target >> shift_;
    std::uint32_t s = first_[b];
    if (first_[b + 1] - s > 4u) return table.find(target);
    while (table.cum[s + 1] <= target) ++s;
    assert(s == table.find(target));
    return static_cast<std::uint8_t>(s);
  }

 private:
  unsigned shift_;
  std::array<std::uint8_t, (1u << kBucketBits) + 1> first_{};
};

// Decodes one symbol of a fixed table through its index: the same symbol, and the same
// decoder state after, as decode_symbol(dec, table).
inline std::uint8_t decode_symbol(ArithmeticDecoder& dec, const CumulativeTable& table, const SymbolIndex& index) {
  const std::uint8_t s = index.find(table, dec.target(table.bits));
  dec.consume(table.cum[s], table.cum[s + 1] - table.cum[s], table.bits);
  return s;
}

}  // namespace zgen
