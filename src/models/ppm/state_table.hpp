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
// The state set is generated at compile time by a fixed, integer-only rule (no tables
// copied from elsewhere):
//  - allowed pairs: min(n0, n1) = m ≤ 7 and max(n0, n1) ≤ kStateLimit[m] (large counts are
//    only kept when the context is nearly deterministic; a hyperbola-like shape);
//  - on bit y: n_y += 1; the opposite count, if above 2, is discounted to n/2 + 1, so that
//    a history adapts when the source changes (non-stationarity);
//  - if the pair leaves the allowed set, the larger count is reduced first until it fits.
// State 0 is (0, 0): "never seen"; a zeroed table therefore means an empty model.
#include <array>
#include <cstdint>
#include <stdexcept>
#include <utility>

namespace zgen::ppm {

namespace detail {
// kStateLimit[m]: the largest count allowed next to a smaller count m.
inline constexpr std::array<int, 8> kStateLimit = {40, 24, 14, 10, 8, 7, 7, 7};

constexpr bool state_allowed(int a, int b) {
  const int lo = a < b ? a : b, hi = a < b ? b : a;
  return lo < static_cast<int>(kStateLimit.size()) && hi <= kStateLimit[static_cast<std::size_t>(lo)];
}

constexpr std::pair<int, int> state_step(int n0, int n1, int bit) {
  int& own = bit ? n1 : n0;
  int& opp = bit ? n0 : n1;
  ++own;
  if (opp > 2) opp = opp / 2 + 1;
  while (!state_allowed(n0, n1)) {
    if (own > opp) --own;
    else --opp;
  }
  return {n0, n1};
}
}  // namespace detail

class StateTable {
 public:
  // The one table, built at compile time (no guard to check on every bit and claim).
  static const StateTable& instance();

  std::uint8_t next(std::uint8_t state, int bit) const { return next_[state][bit]; }
  int n0(std::uint8_t state) const { return n0_[state]; }
  int n1(std::uint8_t state) const { return n1_[state]; }
  int count(std::uint8_t state) const { return n0_[state] + n1_[state]; }
  int size() const { return size_; }

  constexpr StateTable() {
    // Breadth-first from (0, 0) so that state numbers are fixed and state 0 is the empty
    // history. Counts stay at most kStateLimit[0].
    constexpr int kMaxCount = detail::kStateLimit[0] + 1;
    std::array<std::array<int, kMaxCount>, kMaxCount> index{};
    for (auto& row : index) row.fill(-1);
    std::array<std::pair<int, int>, 256> order{};
    int n = 1;
    index[0][0] = 0;
    for (int i = 0; i < n; ++i)
      for (int bit = 0; bit < 2; ++bit) {
        const auto [a, b] = detail::state_step(order[i].first, order[i].second, bit);
        if (index[a][b] >= 0) continue;
        if (n == 256) throw std::logic_error("cm state table: more than 256 states");
        index[a][b] = n;
        order[n++] = {a, b};
      }
    size_ = n;
    for (int s = 0; s < n; ++s) {
      n0_[s] = static_cast<std::uint8_t>(order[s].first);
      n1_[s] = static_cast<std::uint8_t>(order[s].second);
      for (int bit = 0; bit < 2; ++bit) {
        const auto [a, b] = detail::state_step(order[s].first, order[s].second, bit);
        next_[s][bit] = static_cast<std::uint8_t>(index[a][b]);
      }
    }
    // Unused state numbers (never produced) behave like the empty history.
    for (int s = n; s < 256; ++s) next_[s] = next_[0];
  }

 private:
  int size_ = 0;
  std::array<std::array<std::uint8_t, 2>, 256> next_{};
  std::array<std::uint8_t, 256> n0_{}, n1_{};
};

inline constexpr StateTable kStateTable{};
inline const StateTable& StateTable::instance() { return kStateTable; }

}  // namespace zgen::ppm
