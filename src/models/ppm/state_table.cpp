// Generates the bit-history state machine described in state_table.hpp.
#include "src/models/ppm/state_table.hpp"

#include <algorithm>
#include <map>
#include <vector>
#include <stdexcept>
#include <utility>

namespace zgen::ppm {
namespace {

// kLimit[m]: the largest count allowed next to a smaller count m.
constexpr std::array<int, 8> kLimit = {40, 24, 14, 10, 8, 7, 7, 7};

bool allowed(int a, int b) {
  const int lo = std::min(a, b), hi = std::max(a, b);
  return lo < static_cast<int>(kLimit.size()) && hi <= kLimit[lo];
}

std::pair<int, int> step(int n0, int n1, int bit) {
  int& own = bit ? n1 : n0;
  int& opp = bit ? n0 : n1;
  ++own;
  if (opp > 2) opp = opp / 2 + 1;
  while (!allowed(n0, n1)) {
    if (own > opp) --own;
    else --opp;
  }
  return {n0, n1};
}

}  // namespace

StateTable::StateTable() {
  // Breadth-first from (0, 0) so that state numbers are the same on every run and
  // state 0 is the empty history.
  std::map<std::pair<int, int>, int> index;
  std::vector<std::pair<int, int>> order{{0, 0}};
  index[{0, 0}] = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (int bit = 0; bit < 2; ++bit) {
      const auto nxt = step(order[i].first, order[i].second, bit);
      if (!index.count(nxt)) {
        index[nxt] = static_cast<int>(order.size());
        order.push_back(nxt);
      }
    }
  }
  if (order.size() > 256) throw std::logic_error("cm state table: more than 256 states");
  size_ = static_cast<int>(order.size());
  for (int s = 0; s < size_; ++s) {
    n0_[s] = static_cast<std::uint8_t>(order[s].first);
    n1_[s] = static_cast<std::uint8_t>(order[s].second);
    for (int bit = 0; bit < 2; ++bit)
      next_[s][bit] = static_cast<std::uint8_t>(index.at(step(order[s].first, order[s].second, bit)));
  }
  // Unused state numbers (never produced) behave like the empty history.
  for (int s = size_; s < 256; ++s) next_[s] = next_[0];
}

}  // namespace zgen::ppm
