#pragma once
// APM (adaptive probability map, a.k.a. secondary symbol estimation): refines a
// probability given a small context. For each context it keeps a piecewise-linear map
// from the input logit to an output probability (33 knots over [-8, 8] nats),
// interpolates between the two nearest knots, and after the bit moves the nearer knot
// towards it. It corrects what the mixer systematically gets wrong in a given context
// (e.g. after "q" the mixer may still be under-confident about "u").
//
// Reset is O(1): rows carry a generation number and a row from an older generation reads
// (and is re-initialised on first update) as its base: the primed table if one was
// installed, else the identity map. So the 380 resets of a chunked run do not rewrite
// megabytes. The const read path (used by log_probs) sees
// exactly what the updating path would see.
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "src/models/ppm/squash.hpp"
#include "src/models/ppm/zeroed_pages.hpp"

namespace zgen::ppm {

namespace detail {
// Where a row's knots are stored. The models' APM rows come in blocks of 256 whose low byte
// is the partial byte c0 (1..255; or c0 XOR a hash, which gains nothing below but loses
// nothing). Stored in c0's order, a byte's 8 rows spread over the whole block (17 KB, five
// 4 KB pages); stored by nibble (c0 1..15, the first nibble's tree, then for each high nibble
// its second nibble's 15 rows) they lie in two runs of 15 rows, one or two pages: fewer page
// walks per byte, which cost more than anything else here (BENCHMARKS.md, ppm2, fourth pass).
// A permutation of the low byte: only the storage moves, never a prediction.
struct NibbleOrder {
  std::array<std::uint8_t, 256> slot{};
  constexpr NibbleOrder() {
    for (int c0 = 1; c0 < 16; ++c0) slot[c0] = static_cast<std::uint8_t>(c0);
    for (int c0 = 16; c0 < 256; ++c0) {
      const int k = c0 < 32 ? 0 : c0 < 64 ? 1 : c0 < 128 ? 2 : 3;  // bits of the second nibble seen
      const int high = (c0 >> k) & 15, node = (1 << k) | (c0 & ((1 << k) - 1));  // node 1..15
      slot[c0] = static_cast<std::uint8_t>(16 + high * 15 + node - 1);
    }
  }
};
inline constexpr NibbleOrder kNibbleOrder{};
}  // namespace detail

// The APM rows both model versions read for a bit: order 1 (the partial byte c0 and the last
// byte c1), and order 2 hashed into an APM of `rows` rows (a power of two, at least 256); c0
// stays the low byte of both, as NibbleOrder expects.
inline int apm_order1_row(int c0, int c1) { return c0 | c1 << 8; }
inline int apm_order2_row(int c0, int c1, int c2, unsigned rows) {
  return static_cast<int>((static_cast<unsigned>(c0) ^ (static_cast<unsigned>(c1 | c2 << 8) * 0x9E35u)) & (rows - 1));
}

class Apm {
 public:
  Apm(int rows, int rate)
      : rate_(rate), pages_(static_cast<std::size_t>(rows) * 33 * sizeof(std::uint16_t)),
        table_(reinterpret_cast<std::uint16_t*>(pages_.data())), gen_(rows, 0) {
    if (rows <= 0 || rows % 256 != 0) throw std::logic_error("ppm: an APM's rows come in whole blocks of 256");
    for (int j = 0; j < 33; ++j) identity_[j] = static_cast<std::uint16_t>(squash16((j - 16) * 128));
  }

  void reset() {
    if (++generation_ == 0) {  // wrapped: make every row stale for real
      std::fill(gen_.begin(), gen_.end(), std::uint16_t{0});
      generation_ = 1;
    }
  }

  // Refined probability of a 1 (16-bit) for input probability p16 in context `row`, given
  // as its logit stretch16(p16) (the model refines one probability in three APMs: it
  // stretches once); `knot` receives what update() needs. Always inlined: GCC left it out of
  // line in ppm3's predict (a call per APM per bit).
  [[gnu::always_inline]] int refine(int logit, int row, int& knot) const {
    const int x = logit + 2048;  // [1, 4095]
    const int lo = x >> 7, w = x & 127;
    knot = lo + (w >> 6);
    const std::uint16_t* t = row_ptr(row);
    return (t[lo] * (128 - w) + t[lo + 1] * w) >> 7;
  }

  // Starts fetching rows first .. first + n − 1 and their generations (the next bit's two
  // candidate rows in the model's APM contexts form such a block).
  void prefetch_rows(int first, int n) const {
    for (int row = first; row < first + n; ++row) {
      const auto* p = reinterpret_cast<const char*>(stored(row));
      __builtin_prefetch(p);
      __builtin_prefetch(p + 33 * sizeof(std::uint16_t) - 1);
    }
    __builtin_prefetch(&gen_[first]);
  }

  template <class Undo>
  void update(int row, int knot, int bit, Undo& undo) {
    std::uint16_t* t = stored(row);
    // Restoring the generation makes a freshly initialised row stale again, so saving
    // the one knot is enough.
    undo.save(&gen_[row], sizeof gen_[row]);
    undo.save(&t[knot], sizeof t[knot]);
    if (gen_[row] != generation_) {
      const std::uint16_t* base = base_row(row);
      std::copy(base, base + 33, t);
      gen_[row] = generation_;
    }
    const int target = bit ? 65535 : 0;
    t[knot] = static_cast<std::uint16_t>(t[knot] + ((target - t[knot]) >> rate_));
  }

  // Every row as it reads now, for a base.
  std::vector<std::uint16_t> capture() const {
    std::vector<std::uint16_t> out(gen_.size() * 33);
    for (std::size_t row = 0; row < gen_.size(); ++row) std::copy_n(row_ptr(static_cast<int>(row)), 33, &out[row * 33]);
    return out;
  }
  // Makes `base` (rows × 33) what every row returns to on reset, and resets.
  void install(std::shared_ptr<const std::vector<std::uint16_t>> base) {
    base_ = std::move(base);
    reset();
  }

 private:
  const std::uint16_t* base_row(int row) const {
    return base_ ? &(*base_)[static_cast<std::size_t>(row) * 33] : identity_;
  }
  [[gnu::always_inline]] const std::uint16_t* row_ptr(int row) const {  // out of line in ppm:6 and ppm3:6 otherwise
    return gen_[row] == generation_ ? stored(row) : base_row(row);
  }
  std::uint16_t* stored(int row) const {
    const auto r = static_cast<std::size_t>((row & ~255) | detail::kNibbleOrder.slot[row & 255]);
    return &table_[r * 33];
  }

  int rate_;
  std::shared_ptr<const std::vector<std::uint16_t>> base_;
  ZeroedPages pages_;  // rows × 33 knots, on huge pages: rows are read at random, one per bit
  std::uint16_t* table_;
  std::vector<std::uint16_t> gen_;
  std::uint16_t generation_ = 1;
  std::uint16_t identity_[33]{};
};

}  // namespace zgen::ppm
