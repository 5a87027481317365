#include "compressors/bzip2_model/entropy.hpp"

#include <algorithm>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace zgen::bzip2 {
namespace {

constexpr int kRunA = 0, kRunB = 1;
constexpr int kGroupSize = 50;
constexpr int kMaxTables = 6;
constexpr int kPasses = 4;
constexpr int kMaxCodeLength = 17;
constexpr std::uint8_t kCheap = 0, kDear = 15;  // the initial tables' lengths

// Bits of the block header: magic (48), block CRC (32), randomised flag (1), origin pointer (24).
constexpr std::uint64_t kBlockHeaderBits = 48 + 32 + 1 + 24;

int table_count(std::size_t n_symbols) {
  if (n_symbols < 200) return 2;
  if (n_symbols < 600) return 3;
  if (n_symbols < 1200) return 4;
  if (n_symbols < 2400) return 5;
  return 6;
}

}  // namespace

void MtfCoder::start(const InUse& in_use, MtfSymbols& out) {
  out_ = &out;
  out.symbols.clear();
  out.freq.fill(0);
  int n = 0;
  for (int b = 0; b < 256; ++b)
    if (in_use[static_cast<std::size_t>(b)]) list_[static_cast<std::size_t>(n++)] = static_cast<std::uint8_t>(b);
  size_ = n;
  out.alpha_size = n + 2;
  zeros_ = 0;
}

// A run of z zeros is written as the digits of z in bijective base 2: RUNA = 1, RUNB = 2.
void MtfCoder::flush_zeros() {
  if (zeros_ == 0) return;
  std::uint32_t z = zeros_ - 1;
  while (true) {
    emit((z & 1) ? kRunB : kRunA);
    if (z < 2) break;
    z = (z - 2) / 2;
  }
  zeros_ = 0;
}

void MtfCoder::finish() {
  flush_zeros();
  emit(static_cast<std::uint16_t>(out_->alpha_size - 1));  // EOB
}

// One Huffman build as libbz2 does it. Nodes 1..alpha are the symbols, then the merged nodes.
// Heap entries carry their node's weight in the high half and are compared by it alone (as
// libbz2 compares weights); entry 0 (weight 0) is the sentinel above the root, so sifting up
// needs no bound check. Weights stay below 2^31: a block's symbol counts sum to at most
// 900,000, times 256.
struct HuffmanBuild {
  std::uint32_t weight[2 * 260];
  std::int32_t parent[2 * 260];
  std::uint64_t heap[264];  // entries 1..n_heap, then room for two sentinels above n_heap
  int n_heap = 0, n_nodes = 0;

  static std::uint32_t key(std::uint64_t e) { return static_cast<std::uint32_t>(e >> 32); }

  // The leaves' weights set (weight[1..alpha]), the heap of the leaves.
  void start(int alpha) {
    n_heap = 0;
    n_nodes = alpha;
    heap[0] = 0;
    for (int i = 1; i <= alpha; ++i) push(i);
  }
  void push(std::int32_t node) {
    int at = ++n_heap;
    const std::uint64_t e = (static_cast<std::uint64_t>(weight[node]) << 32) | static_cast<std::uint32_t>(node);
    const std::uint32_t w = key(e);
    while (w < key(heap[at >> 1])) {
      heap[at] = heap[at >> 1];
      at >>= 1;
    }
    heap[at] = e;
  }
  // libbz2 sifts the last entry down from the root while a child (the right one only if
  // strictly lighter) is not heavier. Here the walk goes on to the heap's full depth, moving
  // nothing once it has stopped, so that it has no branch that depends on the weights.
  std::int32_t pop() {
    const std::uint64_t top = heap[1];
    const std::uint64_t e = heap[n_heap--];
    const std::uint32_t w = key(e);
    // Past the last entry: entries that are never lighter, so a missing child is never taken.
    heap[n_heap + 1] = heap[n_heap + 2] = ~std::uint64_t{0};
    int at = 1;
    for (int level = 2; level <= n_heap; level <<= 1) {
      int child = std::min(at << 1, n_heap + 1);
      child += key(heap[child + 1]) < key(heap[child]);
      const std::uint64_t c = heap[child];
      const bool down = key(c) <= w;
      heap[at] = down ? c : heap[at];
      at = down ? child : at;
    }
    heap[at] = e;
    return static_cast<std::int32_t>(top & 0xffffffffu);
  }
  // One merge of the two lightest (alpha − 1 of them make the tree).
  void merge() {
    const std::int32_t a = pop(), b = pop();
    ++n_nodes;
    parent[a] = parent[b] = n_nodes;
    // Weights add; the low byte keeps 1 + the deeper subtree's depth (ties go to shallow trees).
    weight[n_nodes] = ((weight[a] & ~0xffu) + (weight[b] & ~0xffu)) | (1 + std::max(weight[a] & 0xffu, weight[b] & 0xffu));
    push(n_nodes);
  }
  // The leaves' depths into len; false if one exceeds max_len.
  bool lengths(std::uint8_t* len, int alpha, int max_len) const {
    // Depths from the root (the last node) down: parents are always created after children.
    std::uint8_t depth[2 * 260];
    depth[n_nodes] = 0;
    for (int k = n_nodes - 1; k >= 1; --k) depth[k] = static_cast<std::uint8_t>(depth[parent[k]] + 1);
    bool fits = true;
    for (int i = 1; i <= alpha; ++i) {
      len[i - 1] = depth[i];
      if (depth[i] > max_len) fits = false;
    }
    return fits;
  }
  void set_leaves(const std::int32_t* freq, int alpha) {
    for (int i = 0; i < alpha; ++i) weight[i + 1] = static_cast<std::uint32_t>(freq[i] == 0 ? 1 : freq[i]) << 8;
  }
};

void make_code_lengths(std::uint8_t* len, const std::int32_t* freq, int alpha_size, int max_len) {
  HuffmanBuild h;
  h.set_leaves(freq, alpha_size);
  while (true) {
    h.start(alpha_size);
    for (int m = 1; m < alpha_size; ++m) h.merge();
    if (h.lengths(len, alpha_size, max_len)) return;
    // Too long: the weights halved (w → 1 + w/2), the tree built again.
    for (int i = 1; i <= alpha_size; ++i) h.weight[i] = (1 + (h.weight[i] >> 8) / 2) << 8;
  }
}

std::uint64_t mapping_bits(const InUse& in_use) {
  std::uint64_t bits = 16;
  for (int r = 0; r < 16; ++r)
    if (std::any_of(in_use.begin() + 16 * r, in_use.begin() + 16 * r + 16, [](bool b) { return b; })) bits += 16;
  return bits;
}

std::uint64_t block_bits(const MtfSymbols& mtf, const InUse& in_use, HuffmanScratch& scratch) {
  const int alpha = mtf.alpha_size;
  const std::uint16_t* sym = mtf.symbols.data();
  const int n = static_cast<int>(mtf.symbols.size());
  const int n_tables = table_count(mtf.symbols.size());

  // Lengths as 16-bit lanes, table t in lane t, so that one add costs a symbol under every table.
  alignas(16) std::uint16_t len[258][8];
  for (int v = 0; v < alpha; ++v)
    for (int t = 0; t < 8; ++t) len[v][t] = kDear;

  // Initial tables: consecutive symbol ranges holding about equal shares of the symbols.
  {
    int remaining = n, start = 0;
    for (int part = n_tables; part > 0; --part) {
      const int target = remaining / part;
      int end = start - 1, got = 0;
      while (got < target && end < alpha - 1) got += mtf.freq[static_cast<std::size_t>(++end)];
      if (end > start && part != n_tables && part != 1 && (n_tables - part) % 2 == 1)
        got -= mtf.freq[static_cast<std::size_t>(end--)];
      for (int v = 0; v < alpha; ++v) len[v][part - 1] = (v >= start && v <= end) ? kCheap : kDear;
      start = end + 1;
      remaining -= got;
    }
  }

  const int n_groups = (n + kGroupSize - 1) / kGroupSize;
  scratch.selectors.resize(static_cast<std::size_t>(n_groups));
  std::uint8_t lengths[kMaxTables][258];
  // The passes. A table's counts are those of the groups it was chosen for; from the second
  // pass on they are updated by the groups whose choice changed, and a table whose counts did
  // not change keeps its lengths (they are a function of the counts). Each table's counts are
  // kept as two halves, of the even and of the odd positions, summed when its lengths are built:
  // runs of one symbol (RUNA, RUNA, ...) would otherwise make each count wait for the last.
  std::int32_t rfreq[2][kMaxTables][258], sum[kMaxTables][258];
  for (int h = 0; h < 2; ++h)
    for (int t = 0; t < n_tables; ++t) std::fill(rfreq[h][t], rfreq[h][t] + alpha, 0);
  const auto add = [&](int t, int gs, int ge, int by) {
    std::int32_t* even = rfreq[0][t];
    std::int32_t* odd = rfreq[1][t];
    int i = gs;
    for (; i + 1 < ge; i += 2) even[sym[i]] += by, odd[sym[i + 1]] += by;
    if (i < ge) even[sym[i]] += by;
  };
  for (int pass = 0; pass < kPasses; ++pass) {
    bool changed[kMaxTables] = {};
    for (int g = 0; g < n_groups; ++g) {
      const int gs = g * kGroupSize, ge = std::min(n, gs + kGroupSize);
      alignas(16) std::uint16_t cost[8] = {0, 0, 0, 0, 0, 0, 0, 0};
#ifdef __SSE2__
      // Two sums, so that consecutive adds do not wait for each other.
      const auto row = [&](int i) { return _mm_load_si128(reinterpret_cast<const __m128i*>(len[sym[i]])); };
      __m128i acc0 = _mm_setzero_si128(), acc1 = _mm_setzero_si128();
      int i = gs;
      for (; i + 1 < ge; i += 2) {
        acc0 = _mm_add_epi16(acc0, row(i));
        acc1 = _mm_add_epi16(acc1, row(i + 1));
      }
      if (i < ge) acc0 = _mm_add_epi16(acc0, row(i));
      _mm_store_si128(reinterpret_cast<__m128i*>(cost), _mm_add_epi16(acc0, acc1));
#else
      for (int i = gs; i < ge; ++i) {
        const std::uint16_t* l = len[sym[i]];
        for (int t = 0; t < 8; ++t) cost[t] = static_cast<std::uint16_t>(cost[t] + l[t]);
      }
#endif
      // The first cheapest table.
      int best = 0;
      for (int t = 1; t < n_tables; ++t)
        if (cost[t] < cost[best]) best = t;
      std::uint8_t& chosen = scratch.selectors[static_cast<std::size_t>(g)];
      if (pass > 0 && chosen == best) continue;
      if (pass > 0) {
        add(chosen, gs, ge, -1);
        changed[chosen] = true;
      }
      chosen = static_cast<std::uint8_t>(best);
      changed[best] = true;
      add(best, gs, ge, 1);
    }
    for (int t = 0; t < n_tables; ++t) {
      if (!changed[t] && pass > 0) continue;
      for (int v = 0; v < alpha; ++v) sum[t][v] = rfreq[0][t][v] + rfreq[1][t][v];
      make_code_lengths(lengths[t], sum[t], alpha, kMaxCodeLength);
      for (int v = 0; v < alpha; ++v) len[v][t] = lengths[t][v];
    }
  }

  std::uint64_t bits = kBlockHeaderBits;
  bits += mapping_bits(in_use);
  // Table count (3), selector count (15), selectors move-to-front coded in unary.
  bits += 3 + 15;
  {
    std::uint8_t order[kMaxTables];
    for (int t = 0; t < kMaxTables; ++t) order[t] = static_cast<std::uint8_t>(t);
    for (int g = 0; g < n_groups; ++g) {
      const std::uint8_t s = scratch.selectors[static_cast<std::size_t>(g)];
      int j = 0;
      while (order[j] != s) ++j;
      std::memmove(order + 1, order, static_cast<std::size_t>(j));
      order[0] = s;
      bits += static_cast<std::uint64_t>(j + 1);
    }
  }
  // Tables: a 5-bit start, then per symbol 2 bits per unit step and a 1-bit stop.
  for (int t = 0; t < n_tables; ++t) {
    int cur = lengths[t][0];
    bits += 5;
    for (int v = 0; v < alpha; ++v) {
      bits += 1 + 2 * static_cast<std::uint64_t>(std::abs(lengths[t][v] - cur));
      cur = lengths[t][v];
    }
  }
  // Data: each symbol at its group's table's length, i.e. each table's counts (those of the
  // groups that chose it) at its lengths.
  for (int t = 0; t < n_tables; ++t)
    for (int v = 0; v < alpha; ++v) bits += static_cast<std::uint64_t>(sum[t][v]) * lengths[t][v];
  return bits;
}

}  // namespace zgen::bzip2
