#pragma once
// Bit histories: what a context has seen, squeezed into one byte.
//
// Each context slot of the model holds, per node of the bit tree, one byte naming a
// state: an approximate count pair (n0, n1) of the zeros and ones seen in that context.
// A state is not a probability: an adaptive StateMap (state_map.hpp) learns, for each
// state, how often a 1 really follows it. That indirection ("indirect modelling") is why
// bit-history models beat plain counters: e.g. state (0, 3) in an order-6 context of
// English text is much more reliable than (0, 3) in an order-1 context, and each order
// has its own StateMap that learns exactly that.
//
// The state set is generated at start-up by a fixed, integer-only rule (no tables copied
// from elsewhere):
//  - allowed pairs: min(n0, n1) = m ≤ 7 and max(n0, n1) ≤ kLimit[m] (large counts are
//    only kept when the context is nearly deterministic; a hyperbola-like shape);
//  - on bit y: n_y += 1; the opposite count, if above 2, is discounted to n/2 + 1, so that
//    a history adapts when the source changes (non-stationarity);
//  - if the pair leaves the allowed set, the larger count is reduced first until it fits.
// State 0 is (0, 0): "never seen"; a zeroed table therefore means an empty model.
#include <array>
#include <cstdint>

namespace zgen::ppm {

class StateTable {
 public:
  // Inline: the coding path asks for it on every bit and every slot claim.
  [[gnu::always_inline]] static const StateTable& instance() {
    static const StateTable table;
    return table;
  }

  std::uint8_t next(std::uint8_t state, int bit) const { return next_[state][bit]; }
  int n0(std::uint8_t state) const { return n0_[state]; }
  int n1(std::uint8_t state) const { return n1_[state]; }
  int count(std::uint8_t state) const { return n0_[state] + n1_[state]; }
  int size() const { return size_; }

 private:
  StateTable();
  int size_ = 0;
  std::array<std::array<std::uint8_t, 2>, 256> next_{};
  std::array<std::uint8_t, 256> n0_{}, n1_{};
};

}  // namespace zgen::ppm
