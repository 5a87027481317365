#include "compressors/bzip2_model/sort.hpp"

#include <algorithm>

namespace zgen::bzip2 {
namespace {

// Prefix doubling: after the round with step k, `order` is sorted by the first 2k symbols and
// rank[i] numbers the distinct 2k-prefixes. Cyclic: positions wrap; linear: a suffix that ends
// sorts before any continuation (its missing symbols rank −1).
void doubling(ByteView s, bool cyclic, std::vector<std::int32_t>& order, std::vector<std::int32_t>& rank) {
  const std::int32_t n = static_cast<std::int32_t>(s.size());
  order.resize(static_cast<std::size_t>(n));
  rank.resize(static_cast<std::size_t>(n));
  if (n == 0) return;
  std::vector<std::int32_t> by_second(static_cast<std::size_t>(n)), next_rank(static_cast<std::size_t>(n));
  std::vector<std::int32_t> count(static_cast<std::size_t>(std::max(n, 256)) + 1);
  // Round 0: by the first symbol.
  for (std::int32_t i = 0; i < n; ++i) ++count[s[static_cast<std::size_t>(i)]];
  for (std::size_t c = 1; c < 256; ++c) count[c] += count[c - 1];
  for (std::int32_t i = n - 1; i >= 0; --i) order[static_cast<std::size_t>(--count[s[static_cast<std::size_t>(i)]])] = i;
  std::int32_t classes = 0;
  for (std::int32_t r = 0; r < n; ++r) {
    const std::int32_t i = order[static_cast<std::size_t>(r)];
    if (r > 0 && s[static_cast<std::size_t>(i)] != s[static_cast<std::size_t>(order[static_cast<std::size_t>(r - 1)])]) ++classes;
    rank[static_cast<std::size_t>(i)] = classes;
  }
  ++classes;
  for (std::int32_t k = 1; classes < n && k < n; k <<= 1) {
    // Order by the second half's rank: the positions without one first (linear), then by order.
    std::int32_t p = 0;
    if (!cyclic)
      for (std::int32_t i = n - k; i < n; ++i) by_second[static_cast<std::size_t>(p++)] = i;
    for (std::int32_t r = 0; r < n; ++r) {
      const std::int32_t j = order[static_cast<std::size_t>(r)];
      if (j >= k) by_second[static_cast<std::size_t>(p++)] = j - k;
      else if (cyclic) by_second[static_cast<std::size_t>(p++)] = j - k + n;
    }
    // Stable counting sort by the first half's rank.
    std::fill(count.begin(), count.begin() + classes + 1, 0);
    for (std::int32_t i = 0; i < n; ++i) ++count[static_cast<std::size_t>(rank[static_cast<std::size_t>(i)])];
    for (std::int32_t c = 1; c < classes; ++c) count[static_cast<std::size_t>(c)] += count[static_cast<std::size_t>(c - 1)];
    for (std::int32_t r = n - 1; r >= 0; --r) {
      const std::int32_t i = by_second[static_cast<std::size_t>(r)];
      order[static_cast<std::size_t>(--count[static_cast<std::size_t>(rank[static_cast<std::size_t>(i)])])] = i;
    }
    const auto second = [&](std::int32_t i) -> std::int32_t {
      const std::int32_t j = i + k;
      if (j < n) return rank[static_cast<std::size_t>(j)];
      return cyclic ? rank[static_cast<std::size_t>(j - n)] : -1;
    };
    std::int32_t c = 0;
    next_rank[static_cast<std::size_t>(order[0])] = 0;
    for (std::int32_t r = 1; r < n; ++r) {
      const std::int32_t a = order[static_cast<std::size_t>(r - 1)], b = order[static_cast<std::size_t>(r)];
      if (rank[static_cast<std::size_t>(a)] != rank[static_cast<std::size_t>(b)] || second(a) != second(b)) ++c;
      next_rank[static_cast<std::size_t>(b)] = c;
    }
    rank.swap(next_rank);
    classes = c + 1;
  }
  // Final ranks are positions in the order (ties, only of equal rotations, broken by the order).
  for (std::int32_t r = 0; r < n; ++r) rank[static_cast<std::size_t>(order[static_cast<std::size_t>(r)])] = r;
}

}  // namespace

std::vector<std::int32_t> sort_rotations(ByteView s) {
  std::vector<std::int32_t> order, rank;
  doubling(s, true, order, rank);
  return order;
}

void sort_suffixes(ByteView s, std::vector<std::int32_t>& order, std::vector<std::int32_t>& rank) {
  doubling(s, false, order, rank);
}

}  // namespace zgen::bzip2
