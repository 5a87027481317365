#include "src/coding/arithmetic_coder.hpp"
#include "zgen/errors.hpp"

namespace zgen {

void ArithmeticEncoder::shift_out_word() {
  // range < 2^32: every value of the interval shares low's top word up to a carry, which
  // propagate_carry() will still deliver into the bytes written here.
  const auto word = static_cast<std::uint32_t>(low_ >> 32);
  out_.push_back(static_cast<std::uint8_t>(word >> 24));
  out_.push_back(static_cast<std::uint8_t>(word >> 16));
  out_.push_back(static_cast<std::uint8_t>(word >> 8));
  out_.push_back(static_cast<std::uint8_t>(word));
  low_ <<= 32;
  range_ <<= 32;
}

void ArithmeticEncoder::propagate_carry() {
  // The true interval nests inside the first one, [0, 2^64 − 1), so a carry always stops
  // at a byte that is not 0xFF before it reaches the start of this stream. Amortised O(1):
  // each 0xFF it turns into 0x00 was written once.
  for (std::size_t i = out_.size(); i > begin_;) {
    if (++out_[--i] != 0) return;
  }
  assert(!"carry past the start of the stream");
}

void ArithmeticEncoder::finish() {
#ifndef NDEBUG
  assert(!finished_);
  finished_ = true;
#endif
  // The final value v is the first multiple of 2^(64 − 8n) in [low, low + range), for the
  // smallest n; only its top n bytes are written, the decoder supplies the zeros after them.
  // n = 4 always works because range >= 2^32.
  if (low_ == 0) return;                      // v = 0: nothing to write
  if (0 - low_ < range_) {                    // v = 2^64: a carry, then nothing
    propagate_carry();
    return;
  }
  for (unsigned n = 1; n <= 4; ++n) {
    const unsigned shift = 64 - 8 * n;
    const std::uint64_t mask = (std::uint64_t{1} << shift) - 1;
    const std::uint64_t rounded_up = low_ + mask;
    const std::uint64_t v = rounded_up & ~mask;  // ceil(low / 2^shift) · 2^shift, modulo 2^64
    if (v - low_ >= range_) continue;          // (v − low) mod 2^64 is the true distance: < 2^shift
    if (rounded_up < low_) propagate_carry();  // v wrapped past 2^64
    for (unsigned i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (56 - 8 * i)));
    return;
  }
  assert(!"range >= 2^32 guarantees a 4-byte end");
}

ArithmeticDecoder::ArithmeticDecoder(ByteView in) : in_(in) {
  value_ = std::uint64_t{next_word()} << 32;
  value_ |= next_word();
  // The encoder's values all lie in [0, 2^64 − 1); anything else is not one of its streams.
  if (value_ >= range_) throw FormatError("corrupt payload: the coded stream starts outside its range");
}

std::uint32_t ArithmeticDecoder::next_word() {
  if (in_.size() - pos_ >= 4) {  // the common case: a whole big-endian word in the stream
    const std::uint8_t* p = in_.data() + pos_;
    pos_ += 4;
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
  }
  std::uint32_t word = 0;
  for (int i = 0; i < 4; ++i) {
    word <<= 8;
    if (pos_ < in_.size()) word |= in_[pos_++];
    else ++overrun_;
  }
  // A valid stream is read at most 8 bytes past its end (see finish() in the header).
  if (overrun_ > 8) throw FormatError("corrupt payload: the decoder ran past the end of the coded stream");
  return word;
}

void ArithmeticDecoder::finish() const {
  // A flush writes at most 4 of the final window's 8 bytes, so at least 4 are read past the end.
  if (overrun_ < 4) throw FormatError("corrupt payload: bytes left over after the end of the coded stream");
}

}  // namespace zgen
