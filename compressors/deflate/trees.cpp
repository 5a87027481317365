// Exact block costs of zlib 1.2.13's deflate (see trees.hpp). Reimplemented from the
// format (RFC 1951) and from how zlib's trees.c decides; the comments say which zlib behaviour
// each step has to reproduce and why.
#include "compressors/deflate/trees.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstring>
#include <vector>

namespace zgen::deflate {
namespace {

constexpr int kMaxBits = 15;    // longest literal/length or distance code
constexpr int kMaxBlBits = 7;   // longest code-length code
constexpr int kHeapSize = 2 * kLitCodes + 1;  // leaves + internal nodes of the largest tree

constexpr std::array<std::uint8_t, 29> kExtraLenBits = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<std::uint8_t, 30> kExtraDistBits = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                          6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
constexpr std::array<std::uint8_t, kBlCodes> kExtraBlBits = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                              0, 0, 0, 0, 0, 0, 2, 3, 7};
// Order in which the code-length code lengths are sent; trailing zeros in this order are cut.
constexpr std::array<std::uint8_t, kBlCodes> kBlOrder = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                          11, 4,  12, 3, 13, 2, 14, 1, 15};
constexpr int kRep3To6 = 16, kRepZero3To10 = 17, kRepZero11To138 = 18;

struct Tables {
  std::uint8_t length_code[256];   // (len - 3) -> 0..28
  std::uint8_t dist_code[512];     // (dist - 1) < 256: direct; else 256 + ((dist - 1) >> 7)
  std::uint8_t static_lit_len[kLitCodes];
  std::uint8_t lit_extra[kLitCodes];   // extra bits of each literal/length symbol
  std::uint8_t static_dist_len[kDistCodes];
  Tables() {
    unsigned len = 0;
    for (int code = 0; code < 28; ++code)
      for (unsigned n = 0; n < (1u << kExtraLenBits[code]); ++n) length_code[len++] = static_cast<std::uint8_t>(code);
    // Length 258 has its own code (285), though 227..258 would fit code 284's range.
    length_code[255] = 28;
    unsigned dist = 0;
    int code = 0;
    for (; code < 16; ++code)
      for (unsigned n = 0; n < (1u << kExtraDistBits[code]); ++n) dist_code[dist++] = static_cast<std::uint8_t>(code);
    dist >>= 7;
    for (; code < kDistCodes; ++code)
      for (unsigned n = 0; n < (1u << (kExtraDistBits[code] - 7)); ++n)
        dist_code[256 + dist++] = static_cast<std::uint8_t>(code);
    for (int n = 0; n < kLitCodes; ++n) {
      static_lit_len[n] = n < 144 ? 8 : n < 256 ? 9 : n < 280 ? 7 : 8;
      lit_extra[n] = n > kEndBlock ? kExtraLenBits[n - kEndBlock - 1] : 0;
    }
    for (int n = 0; n < kDistCodes; ++n) static_dist_len[n] = 5;
  }
};
const Tables kTables;

// One tree being built. Nodes 0..elems-1 are leaves, elems.. internal. key = freq << 8 | depth,
// so that zlib's order "smaller freq, or equal freq and depth <=" is one unsigned comparison.
struct TreeDesc {
  const std::uint8_t* static_len;  // nullptr for the code-length tree
  const std::uint8_t* extra;       // extra bits per symbol (already offset by zlib's extra_base)
  int elems;
  int max_length;
};

struct TreeBuilder {
  static constexpr int kSentinel = kHeapSize;  // node whose key is larger than every real key
  std::uint32_t key[kHeapSize + 1];
  std::uint16_t dad[kHeapSize];
  std::uint8_t len[kHeapSize + 1];
  // heap[] holds nodes; hkey[i] == key[heap[i]] is kept beside it so that a sift reads one
  // array. heap[heap_len + 1] is always the sentinel, so a node with one child needs no test.
  int heap[kHeapSize + 1];
  std::uint32_t hkey[kHeapSize + 1];
  int heap_len = 0;
  int heap_max = 0;
  std::uint16_t bl_count[kMaxBits + 1];

  void set_sentinel() {
    heap[heap_len + 1] = kSentinel;
    hkey[heap_len + 1] = 0xffffffffu;
  }

  // zlib's pqdownheap: sift heap[k] down; the right child is taken when it is "smaller" (<=)
  // than the left, and the sifted node stops when it is "smaller" (<=) than the chosen child.
  // The child choice is written so that the compiler emits conditional moves: it is taken
  // about half the time, unpredictably, and was the hot spot of the whole cost model.
  void down(int k) {
    const int v = heap[k];
    const std::uint32_t kv = hkey[k];
    int j = k << 1;
    while (j <= heap_len) {
      const std::uint32_t kl = hkey[j], kr = hkey[j + 1];
      const bool right = kr <= kl;
      const std::uint32_t kj = right ? kr : kl;
      j += right;
      if (kv <= kj) break;
      heap[k] = heap[j];
      hkey[k] = kj;
      k = j;
      j <<= 1;
    }
    heap[k] = v;
    hkey[k] = kv;
  }

  // Builds the tree for freq[0..elems) into len[], adds the data bits to opt_len (dynamic) and
  // static_len (fixed codes), returns max_code (largest symbol with a code).
  int build(const std::uint16_t* freq, const TreeDesc& d, std::uint64_t& opt_len, std::uint64_t& static_len) {
    int max_code = -1;
    heap_len = 0;
    heap_max = kHeapSize;
    for (int n = 0; n < d.elems; ++n) {
      if (freq[n] != 0) {
        key[n] = static_cast<std::uint32_t>(freq[n]) << 8;
        ++heap_len;
        heap[heap_len] = max_code = n;
        hkey[heap_len] = key[n];
      } else {
        len[n] = 0;
      }
    }
    // Deflate needs at least two codes in a tree. zlib adds fake symbols of frequency 1 and
    // pre-subtracts their cost; gen_bitlen adds it back (1 bit each plus the static length), so
    // the fake symbols cost nothing net but do shape the tree and the lengths sent.
    while (heap_len < 2) {
      const int node = (max_code < 2 ? ++max_code : 0);
      ++heap_len;
      heap[heap_len] = node;
      key[node] = hkey[heap_len] = 1u << 8;
      opt_len -= 1;
      if (d.static_len) static_len -= d.static_len[node];
    }
    set_sentinel();
    for (int n = heap_len / 2; n >= 1; --n) down(n);

    int node = d.elems;
    do {
      const int n = heap[1];
      heap[1] = heap[heap_len];
      hkey[1] = hkey[heap_len];
      --heap_len;
      set_sentinel();
      down(1);
      const int m = heap[1];
      heap[--heap_max] = n;
      heap[--heap_max] = m;
      const std::uint32_t dn = key[n] & 0xff, dm = key[m] & 0xff;
      key[node] = (((key[n] >> 8) + (key[m] >> 8)) << 8) | ((dn >= dm ? dn : dm) + 1);
      dad[n] = dad[m] = static_cast<std::uint16_t>(node);
      heap[1] = node;
      hkey[1] = key[node];
      ++node;
      down(1);
    } while (heap_len >= 2);
    heap[--heap_max] = heap[1];

    gen_bitlen(d, max_code, opt_len, static_len);
    return max_code;
  }

  // zlib's gen_bitlen: lengths from the root down (heap[heap_max..] lists parents before
  // children), clamped to max_length, then the overflow repaired the way zlib repairs it (move
  // leaves down from the deepest non-full level, reassign lengths in heap order).
  void gen_bitlen(const TreeDesc& d, int max_code, std::uint64_t& opt_len, std::uint64_t& static_len) {
    std::memset(bl_count, 0, sizeof bl_count);
    len[heap[heap_max]] = 0;
    int overflow = 0;
    int h = heap_max + 1;
    for (; h < kHeapSize; ++h) {
      const int n = heap[h];
      int bits = len[dad[n]] + 1;
      if (bits > d.max_length) bits = d.max_length, ++overflow;
      len[n] = static_cast<std::uint8_t>(bits);
      if (n > max_code) continue;  // internal node
      ++bl_count[bits];
      const std::uint64_t f = key[n] >> 8;
      const unsigned xbits = d.extra[n];
      opt_len += f * (bits + xbits);
      if (d.static_len) static_len += f * (d.static_len[n] + xbits);
    }
    if (overflow == 0) return;
    do {
      int bits = d.max_length - 1;
      while (bl_count[bits] == 0) --bits;
      --bl_count[bits];
      bl_count[bits + 1] += 2;
      --bl_count[d.max_length];
      overflow -= 2;
    } while (overflow > 0);
    for (int bits = d.max_length; bits != 0; --bits) {
      int n = bl_count[bits];
      while (n != 0) {
        const int m = heap[--h];
        if (m > max_code) continue;
        if (len[m] != bits) {
          opt_len += (static_cast<std::uint64_t>(bits) - len[m]) * (key[m] >> 8);
          len[m] = static_cast<std::uint8_t>(bits);
        }
        --n;
      }
    }
  }
};

// zlib's scan_tree: counts the code-length symbols (lengths, repeat-previous, repeat-zero runs)
// needed to send len[0..max_code].
void scan_lengths(const std::uint8_t* len, int max_code, std::uint16_t* bl_freq) {
  int prevlen = -1;
  int nextlen = len[0];
  int count = 0;
  int max_count = 7, min_count = 4;
  if (nextlen == 0) max_count = 138, min_count = 3;
  for (int n = 0; n <= max_code; ++n) {
    const int curlen = nextlen;
    nextlen = n < max_code ? len[n + 1] : 0xffff;  // guard: no run continues past max_code
    if (++count < max_count && curlen == nextlen) continue;
    if (count < min_count) {
      bl_freq[curlen] = static_cast<std::uint16_t>(bl_freq[curlen] + count);
    } else if (curlen != 0) {
      if (curlen != prevlen) ++bl_freq[curlen];
      ++bl_freq[kRep3To6];
    } else if (count <= 10) {
      ++bl_freq[kRepZero3To10];
    } else {
      ++bl_freq[kRepZero11To138];
    }
    count = 0;
    prevlen = curlen;
    if (nextlen == 0) {
      max_count = 138, min_count = 3;
    } else if (curlen == nextlen) {
      max_count = 6, min_count = 3;
    } else {
      max_count = 7, min_count = 4;
    }
  }
}

}  // namespace

void BlockFreqs::clear() {
  std::memset(lit, 0, sizeof lit);
  std::memset(dist, 0, sizeof dist);
  lit[kEndBlock] = 1;
}

std::uint8_t length_code(unsigned len_minus_3) { return kTables.length_code[len_minus_3]; }
std::uint8_t dist_code(unsigned d) { return d < 256 ? kTables.dist_code[d] : kTables.dist_code[256 + (d >> 7)]; }

std::uint64_t block_bits(const BlockFreqs& freqs, std::uint64_t stored_len, bool stored_ok, std::uint64_t bit_pos) {
  // The scratch lives on the stack: ~5 KB, no allocation, independent per thread.
  TreeBuilder lit_tree, dist_tree;
  std::uint64_t opt_len = 0, static_len = 0;  // unsigned: the fake-symbol pre-subtraction may wrap, as in zlib
  const TreeDesc lit_desc{kTables.static_lit_len, kTables.lit_extra, kLitCodes, kMaxBits};
  const TreeDesc dist_desc{kTables.static_dist_len, kExtraDistBits.data(), kDistCodes, kMaxBits};
  const int lit_max = lit_tree.build(freqs.lit, lit_desc, opt_len, static_len);
  const int dist_max = dist_tree.build(freqs.dist, dist_desc, opt_len, static_len);

  std::uint16_t bl_freq[kBlCodes] = {};
  scan_lengths(lit_tree.len, lit_max, bl_freq);
  scan_lengths(dist_tree.len, dist_max, bl_freq);
  const TreeDesc bl_desc{nullptr, kExtraBlBits.data(), kBlCodes, kMaxBlBits};
  std::uint64_t unused_static = 0;
  TreeBuilder& bl_tree = dist_tree;  // the distance lengths have been scanned; reuse the scratch
  bl_tree.build(bl_freq, bl_desc, opt_len, unused_static);
  int max_blindex = kBlCodes - 1;
  for (; max_blindex >= 3; --max_blindex)
    if (bl_tree.len[kBlOrder[max_blindex]] != 0) break;
  // HLIT, HDIST, HCLEN and 3 bits per code-length code length sent.
  opt_len += 3 * (static_cast<std::uint64_t>(max_blindex) + 1) + 5 + 5 + 4;

  // zlib compares whole bytes, header bits included, and prefers fixed codes on a tie.
  std::uint64_t opt_lenb = (opt_len + 3 + 7) >> 3;
  const std::uint64_t static_lenb = (static_len + 3 + 7) >> 3;
  if (static_lenb <= opt_lenb) opt_lenb = static_lenb;
  if (stored_len + 4 <= opt_lenb && stored_ok) {
    // 3 header bits, padding to a byte boundary, LEN and NLEN, the bytes.
    const std::uint64_t pad = (8 - ((bit_pos + 3) & 7)) & 7;
    return 3 + pad + 32 + 8 * stored_len;
  }
  if (static_lenb == opt_lenb) return 3 + static_len;
  return 3 + opt_len;
}

namespace {

// f·log2(f) for every count a block can hold (uint16), built once.
const std::vector<double>& f_log2_f() {
  static const std::vector<double> table = [] {
    std::vector<double> t(65536, 0.0);
    for (std::size_t f = 2; f < t.size(); ++f) t[f] = static_cast<double>(f) * std::log2(static_cast<double>(f));
    return t;
  }();
  return table;
}

// N·H of the counts, in bits: N·log2 N − Σ f·log2 f.
double entropy_bits(const std::uint16_t* freq, int n, const std::vector<double>& flf) {
  std::uint64_t total = 0;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    total += freq[i];
    sum += flf[freq[i]];
  }
  return total < 2 ? 0.0 : static_cast<double>(total) * std::log2(static_cast<double>(total)) - sum;
}

}  // namespace

std::uint64_t block_bits_lower_bound(const BlockFreqs& freqs, std::uint64_t stored_len, bool stored_ok) {
  const std::vector<double>& flf = f_log2_f();
  std::uint64_t extra = 0;
  for (int n = kEndBlock + 1; n < kLitCodes; ++n) extra += std::uint64_t{freqs.lit[n]} * kTables.lit_extra[n];
  for (int n = 0; n < kDistCodes; ++n) extra += std::uint64_t{freqs.dist[n]} * kExtraDistBits[static_cast<std::size_t>(n)];
  // The entropy is rounded down, less a margin far above double rounding over 2^16 terms.
  const double h = entropy_bits(freqs.lit, kLitCodes, flf) + entropy_bits(freqs.dist, kDistCodes, flf) - 1.0;
  const std::uint64_t coded = 3 + extra + (h > 0 ? static_cast<std::uint64_t>(h) : 0);
  return stored_ok ? std::min(coded, 35 + 8 * stored_len) : coded;
}

}  // namespace zgen::deflate
