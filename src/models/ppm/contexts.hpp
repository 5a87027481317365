#pragma once
// The contexts both ppm versions hash (ppm.hpp): which orders, the byte history they are
// hashed from, and the hashes themselves. Part of the models' identity: changing any of
// it changes their predictions, hence their files.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace zgen::ppm {

inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dull;
  x ^= x >> 33;
  return x;
}

// The orders mixed for order n: every order from `lowest` up to 4 (short contexts carry
// most of the information and are cheap), then n, n−2, … above 4 (long contexts mostly
// confirm a repeat; every other one is enough, the match model covers the rest).
inline std::vector<int> orders_for(int n, int lowest) {
  std::vector<int> orders;
  for (int k = lowest; k <= std::min(n, 4); ++k) orders.push_back(k);
  std::vector<int> high;
  for (int k = n; k > 4; k -= 2) high.push_back(k);
  orders.insert(orders.end(), high.rbegin(), high.rend());
  return orders;
}

inline bool is_word_byte(std::uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 128;
}

// The byte-level context that the contexts hash: the last 16 bytes and the words.
struct History {
  std::uint64_t last8 = 0;  // the last 8 bytes, newest in the low byte
  std::uint64_t prev8 = 0;  // the 8 before them (orders above 8)
  std::uint64_t word = 0, prev_word = 0;  // hashes of the current (case-folded) and previous word

  void push(std::uint8_t byte) {
    prev8 = prev8 << 8 | last8 >> 56;
    last8 = last8 << 8 | byte;
    if (is_word_byte(byte)) {
      const std::uint8_t lower = (byte >= 'A' && byte <= 'Z') ? byte + 32 : byte;
      word = (word + lower + 1) * 0x100000001B3ull;
    } else if (word != 0) {
      prev_word = word;
      word = 0;
    }
  }
  int c1() const { return static_cast<int>(last8 & 0xFF); }         // the last byte
  int c2() const { return static_cast<int>((last8 >> 8) & 0xFF); }  // the one before
};

// The hash of the order-k context (0 ≤ k ≤ 16; k = 0 masks every byte away): its
// first-nibble slot's key.
inline std::uint64_t order_hash(const History& h, int k) {
  const std::uint64_t low = k >= 8 ? h.last8 : h.last8 & ((std::uint64_t{1} << (8 * k)) - 1);
  const std::uint64_t high = k <= 8 ? 0 : h.prev8 & ((std::uint64_t{1} << (8 * (k - 8))) - 1);
  return mix64(mix64(low + static_cast<std::uint64_t>(k) * 0x100000001B3ull) + high);
}
// The word contexts: the current word with the last byte, and the current and previous words.
inline std::uint64_t word_hash(const History& h) {
  return mix64(h.word * 0x2545F4914F6CDD1Dull + (h.last8 & 0xFF) + 0x1234567);
}
inline std::uint64_t word_pair_hash(const History& h) {
  return mix64(mix64(h.word + h.prev_word * 0x9E3779B97F4A7C15ull) + (h.last8 & 0xFF) + 0x7654321);
}

// The second nibble's key: the context's hash and the byte's high nibble.
inline std::uint64_t second_nibble_hash(std::uint64_t context_hash, int high_nibble) {
  return mix64(context_hash + static_cast<std::uint64_t>(high_nibble + 1) * 0x9E3779B97F4A7C15ull);
}

}  // namespace zgen::ppm
