#pragma once
// 64-bit FNV-1a (Fowler, Noll, Vo): the one content hash zgen computes. Its values are stored:
// a .zgen header names its model by them (a transformer's weights and probe logits, ppm's
// primer, a mix's parts), so they must never change; the committed v1-*.zgen fixtures and the
// shipped model's test pin them.
//
// Streaming: h = kFnv1a64Offset, then fold the pieces in order;
//   fnv1a64_fold(fnv1a64_fold(kFnv1a64Offset, a), b) == fnv1a64(a followed by b).
// fnv1a64_fold_word folds a whole 64-bit value as one step (XOR the word, one multiply), the way
// a list of hashes is combined: it is not the fold of the word's eight bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "zgen/bytes.hpp"

namespace zgen {

inline constexpr std::uint64_t kFnv1a64Offset = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t kFnv1a64Prime = 0x100000001b3ULL;

// Folds n bytes at `data` (any object's bytes: a float buffer, a string) into h.
inline std::uint64_t fnv1a64_fold(std::uint64_t h, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * kFnv1a64Prime;
  return h;
}
inline std::uint64_t fnv1a64_fold(std::uint64_t h, ByteView bytes) { return fnv1a64_fold(h, bytes.data(), bytes.size()); }
inline std::uint64_t fnv1a64_fold(std::uint64_t h, std::string_view text) { return fnv1a64_fold(h, text.data(), text.size()); }

inline std::uint64_t fnv1a64_fold_word(std::uint64_t h, std::uint64_t word) { return (h ^ word) * kFnv1a64Prime; }

inline std::uint64_t fnv1a64(ByteView bytes) { return fnv1a64_fold(kFnv1a64Offset, bytes); }
inline std::uint64_t fnv1a64(std::string_view text) { return fnv1a64_fold(kFnv1a64Offset, text); }

}  // namespace zgen
