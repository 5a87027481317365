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
#include <cstdint>
#include <memory>
#include <vector>

#include "src/models/ppm/squash.hpp"
#include "src/models/ppm/zeroed_pages.hpp"

namespace zgen::ppm {

class Apm {
 public:
  Apm(int rows, int rate)
      : rate_(rate), pages_(static_cast<std::size_t>(rows) * 33 * sizeof(std::uint16_t)),
        table_(reinterpret_cast<std::uint16_t*>(pages_.data())), gen_(rows, 0) {
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
  // stretches once); `knot` receives what update() needs.
  int refine(int logit, int row, int& knot) const {
    const int x = logit + 2048;  // [1, 4095]
    const int lo = x >> 7, w = x & 127;
    knot = lo + (w >> 6);
    const std::uint16_t* t = row_ptr(row);
    return (t[lo] * (128 - w) + t[lo + 1] * w) >> 7;
  }

  // Starts fetching rows first .. first + n − 1 and their generations (the next bit's two
  // candidate rows in the model's APM contexts form such a block).
  void prefetch_rows(int first, int n) const {
    const auto* p = reinterpret_cast<const char*>(&table_[static_cast<std::size_t>(first) * 33]);
    const auto* end = reinterpret_cast<const char*>(&table_[static_cast<std::size_t>(first + n) * 33]) - 1;
    for (; p <= end; p += 64) __builtin_prefetch(p);
    __builtin_prefetch(end);
    __builtin_prefetch(&gen_[first]);
  }

  template <class Undo>
  void update(int row, int knot, int bit, Undo& undo) {
    std::uint16_t* t = &table_[static_cast<std::size_t>(row) * 33];
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
  const std::uint16_t* row_ptr(int row) const {
    return gen_[row] == generation_ ? &table_[static_cast<std::size_t>(row) * 33] : base_row(row);
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
