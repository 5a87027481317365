#pragma once
// An integer arithmetic (range) coder: 64-bit state, 32-bit renormalisation, carries
// propagated into the bytes already written.
//
// The state is an interval [low, low + range) inside the 64-bit window of a binary fraction
// whose leading words have already been written. Coding a symbol narrows the interval to
// the symbol's share; whenever range falls below 2^32 the top word of low can no longer
// change except through a carry, so it is written out and the window slides by 32 bits.
//
// Invariants between calls (asserted where assert() is on: debug builds, and CI's sanitizer
// build through ZGEN_ASSERTIONS):
//   encoder  2^32 <= range <= 2^64 - 1; the true interval is (written · 2^64 + low) + [0, range),
//            and it always lies inside the interval of every earlier state.
//   decoder  2^32 <= range <= 2^64 - 1 and value = code - low < range, where code is the
//            64-bit window of the stream; value < range is kept by every decoding step
//            (so the decoder never leaves its interval, even on corrupt input).
//
// A symbol with cumulative frequency [cum, cum + freq) out of 2^bits gets the sub-interval
// [r·cum, r·(cum + freq)) with r = floor(range / 2^bits); the last symbol of the table
// (cum + freq == 2^bits) also takes the remainder range − r·2^bits, so every value in the
// interval decodes to some symbol and no part of the code space is wasted. The truncation
// costs at most 2^bits / range of the interval, i.e. < 2^-8 for 24-bit tables and ~2^-24 on
// average (range is spread between 2^32 and 2^64).
//
// End of stream: finish() writes the shortest prefix of a value inside the final interval
// whose remaining bytes are zero (0 to 4 bytes, since range >= 2^32). The decoder reads the
// same words as the encoder wrote and supplies zeros past the end, so it reads exactly
// 8 − n bytes past a stream whose flush wrote n; it rejects streams that it reads more than
// 8 bytes past (a decoder that ran beyond the payload) or fewer than 4 (bytes left over).
// Nothing but the symbol count (the container's original length) is needed to stop.
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"

namespace zgen {

// The largest table total a caller may use (2^bits); r = range >> bits is then >= 2^4.
inline constexpr unsigned kMaxFrequencyBits = 28;
// Binary decisions: p1 = P(bit = 1) · 2^16 in [1, 65535].
inline constexpr unsigned kBitProbabilityBits = 16;

class ArithmeticEncoder {
 public:
  // Appends the coded stream to `out` (bytes already in `out` are left alone).
  explicit ArithmeticEncoder(Bytes& out) : out_(out), begin_(out.size()) {}

  // Codes the symbol whose cumulative frequency range is [cum, cum + freq) of 2^bits.
  void encode(std::uint32_t cum, std::uint32_t freq, unsigned bits) {
    assert(bits >= 1 && bits <= kMaxFrequencyBits);
    assert(freq >= 1 && cum + static_cast<std::uint64_t>(freq) <= (std::uint64_t{1} << bits));
    const std::uint64_t r = range_ >> bits;
    narrow(r * cum, cum + freq == (std::uint32_t{1} << bits) ? range_ - r * cum : r * freq);
  }

  // Codes one binary decision as the two-symbol table {0: 2^16 − p1, 1: p1}.
  void encode_bit(int bit, std::uint32_t p1) {
    assert(p1 >= 1 && p1 <= 65535);
    const std::uint64_t split = (range_ >> kBitProbabilityBits) * (65536 - p1);
    // Selects instead of branches: the bits of a good model are unpredictable to the CPU.
    narrow(bit ? split : 0, bit ? range_ - split : split);
  }

  // Writes the end of the stream. No encode after this.
  void finish();

 private:
  void narrow(std::uint64_t start, std::uint64_t size) {
    assert(size >= 1 && start < range_ && size <= range_ - start);
    low_ += start;
    if (low_ < start) propagate_carry();  // the sum wrapped: a 1 carries into the written words
    range_ = size;
    if (range_ < (std::uint64_t{1} << 32)) shift_out_word();
    assert(range_ >= (std::uint64_t{1} << 32));
  }
  void shift_out_word();
  void propagate_carry();

  Bytes& out_;
  std::size_t begin_;  // where this stream starts in out_: a carry never reaches before it
  std::uint64_t low_ = 0;
  std::uint64_t range_ = ~std::uint64_t{0};
#ifndef NDEBUG
  bool finished_ = false;
#endif
};

class ArithmeticDecoder {
 public:
  // Reads a stream written by ArithmeticEncoder. Throws UserError (corrupt stream) when the
  // first window is already outside the initial interval.
  explicit ArithmeticDecoder(ByteView in);

  // The symbol's position in a table of 2^bits: the caller finds the symbol s with
  // cum[s] <= target < cum[s] + freq[s], then calls consume() with its range.
  std::uint32_t target(unsigned bits) {
    assert(bits >= 1 && bits <= kMaxFrequencyBits);
    const std::uint64_t r = range_ >> bits;
    const std::uint64_t q = value_ / r;  // (a double division corrected to exact was not faster)
    const std::uint64_t last = (std::uint64_t{1} << bits) - 1;
    return static_cast<std::uint32_t>(q < last ? q : last);  // values in the remainder belong to the last symbol
  }
  void consume(std::uint32_t cum, std::uint32_t freq, unsigned bits) {
    assert(freq >= 1 && cum + static_cast<std::uint64_t>(freq) <= (std::uint64_t{1} << bits));
    const std::uint64_t r = range_ >> bits;
    narrow(r * cum, cum + freq == (std::uint32_t{1} << bits) ? range_ - r * cum : r * freq);
  }

  int decode_bit(std::uint32_t p1) {
    assert(p1 >= 1 && p1 <= 65535);
    const std::uint64_t split = (range_ >> kBitProbabilityBits) * (65536 - p1);
    const int bit = value_ >= split;
    narrow(bit ? split : 0, bit ? range_ - split : split);
    return bit;
  }

  std::uint64_t range() const { return range_; }
  std::uint64_t value() const { return value_; }  // code − low, always < range()

  // Checks that the stream ended where the encoder ended it: throws UserError when bytes
  // were left over or the decoder had to read too far past the end.
  void finish() const;

 private:
  void narrow(std::uint64_t start, std::uint64_t size) {
    assert(start <= value_ && value_ - start < size);
    value_ -= start;
    range_ = size;
    if (range_ < (std::uint64_t{1} << 32)) shift_in_word();
    assert(range_ >= (std::uint64_t{1} << 32) && value_ < range_);
  }
  // Inline, with the common case of a whole word left in the stream first: a call here
  // per renormalisation cost a quarter of the fixed-table decoder's time (BENCHMARKS.md).
  void shift_in_word() {
    range_ <<= 32;
    value_ <<= 32;  // value < range < 2^32 before: no bits lost
    if (in_.size() - pos_ >= 4) {
      const std::uint8_t* p = in_.data() + pos_;
      pos_ += 4;
      value_ |= std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
    } else {
      value_ |= next_word();
    }
  }
  std::uint32_t next_word();

  ByteView in_;
  std::size_t pos_ = 0;      // bytes of in_ read so far
  std::size_t overrun_ = 0;  // zero bytes supplied past the end of in_
  std::uint64_t value_ = 0;
  std::uint64_t range_ = ~std::uint64_t{0};
};

// A cumulative frequency table over 256 byte values: cum[s] .. cum[s + 1] is symbol s's
// range, cum[0] = 0, cum[256] = 2^bits.
struct CumulativeTable {
  std::array<std::uint32_t, 257> cum;
  unsigned bits;

  // The symbol s with cum[s] <= target < cum[s + 1] (every frequency is at least 1), i.e. the
  // number of cum[1..255] that are <= target (cum is strictly increasing). Counted in two
  // levels of 16 independent comparisons, which vectorise, instead of a binary search whose
  // eight dependent loads dominate decoding.
  std::uint8_t find(std::uint32_t target) const {
    std::uint32_t block = 0;  // 16-symbol blocks that start at or below target, minus 1
    for (std::uint32_t k = 1; k < 16; ++k) block += cum[16 * k] <= target;
    std::uint32_t s = 16 * block;
    std::uint32_t in_block = 0;
    for (std::uint32_t k = 1; k < 16; ++k) in_block += cum[s + k] <= target;
    return static_cast<std::uint8_t>(s + in_block);
  }
};

inline void encode_symbol(ArithmeticEncoder& enc, const CumulativeTable& t, std::uint8_t s) {
  enc.encode(t.cum[s], t.cum[s + 1] - t.cum[s], t.bits);
}
// Decodes without a division: s is the number of k in 1..255 with r·cum[k] <= value (no
// product wraps: r·cum[k] <= range), which is the symbol that target() and find() name
// (cum[k] <= floor(value / r) exactly when r·cum[k] <= value, and values in the remainder
// fall to the last symbol). Two levels of 16 independent products: faster than dividing
// (BENCHMARKS.md, "The coder alone").
inline std::uint8_t decode_symbol(ArithmeticDecoder& dec, const CumulativeTable& t) {
  const std::uint64_t r = dec.range() >> t.bits, value = dec.value();
  std::uint32_t block = 0;
  for (std::uint32_t k = 1; k < 16; ++k) block += r * t.cum[16 * k] <= value;
  std::uint32_t s = 16 * block, in_block = 0;
  for (std::uint32_t k = 1; k < 16; ++k) in_block += r * t.cum[s + k] <= value;
  s += in_block;
  assert(s == t.find(dec.target(t.bits)));
  dec.consume(t.cum[s], t.cum[s + 1] - t.cum[s], t.bits);
  return static_cast<std::uint8_t>(s);
}

}  // namespace zgen
