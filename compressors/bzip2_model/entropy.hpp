#pragma once
// bzip2's entropy stage and the size of a block, from the block's Burrows–Wheeler last column:
// move-to-front over the bytes in use, zero runs as RUNA/RUNB digits (bijective base 2, least
// significant first), EOB; then the Huffman tables and their selection (libbz2's initial split
// by cumulative frequency and four refinement passes over groups of 50 symbols), each table's
// code lengths built as libbz2 builds them (limited to 17 bits by halving the weights), and the
// bits of the block header, mapping table, selectors, tables and data.
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "zgen/bytes.hpp"

namespace zgen::bzip2 {

// Which byte values a block holds: the mapping table and the move-to-front alphabet.
using InUse = std::array<bool, 256>;

// The symbols after move-to-front and zero-run coding, with EOB last, and their counts.
struct MtfSymbols {
  std::vector<std::uint16_t> symbols;
  std::array<std::int32_t, 258> freq{};
  int alpha_size = 0;  // bytes in use + 2 (RUNA/RUNB replace index 0; EOB)
};

// Move-to-front coder over the bytes in use; feed the last column byte by byte, then finish().
// The list holds byte values (first the in-use bytes in ascending order), so that the lists of
// two coders over different alphabets can be compared (state.cpp resumes and compares them).
class MtfCoder {
 public:
  void start(const InUse& in_use, MtfSymbols& out);
  void feed(std::uint8_t byte) {
    if (list_[0] == byte) {
      ++zeros_;
      return;
    }
    if (zeros_ != 0) flush_zeros();
    const int j = find(byte);
    move_to_front(j, byte);
    emit(static_cast<std::uint16_t>(j + 1));
  }
  void finish();

  // The state between two bytes: the list, its length, the zeros not yet written.
  const std::uint8_t* list() const { return list_.data(); }
  int size() const { return size_; }
  std::uint32_t pending_zeros() const { return zeros_; }
  // Continues from a saved state, writing to `out` (whose alphabet size the caller sets).
  void resume(const std::uint8_t* list, int size, std::uint32_t zeros, MtfSymbols& out) {
    out_ = &out;
    for (int i = 0; i < size; ++i) list_[static_cast<std::size_t>(i)] = list[i];
    size_ = size;
    zeros_ = zeros;
  }

 private:
  void emit(std::uint16_t v) {
    out_->symbols.push_back(v);
    ++out_->freq[v];
  }
  void flush_zeros();
  // The byte's place in the list (it is there, before size_; entries past size_ are never
  // searched past it, as the first match is at the byte's place).
  int find(std::uint8_t byte) const {
#ifdef __SSE2__
    const __m128i b = _mm_set1_epi8(static_cast<char>(byte));
    for (int k = 0;; k += 16) {
      const int m = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(list_.data() + k)), b));
      if (m != 0) return k + __builtin_ctz(static_cast<unsigned>(m));
    }
#else
    int j = 0;
    while (list_[static_cast<std::size_t>(j)] != byte) ++j;
    return j;
#endif
  }
  // list_[0..j) moves one place back and `byte` (at j) to the front.
  void move_to_front(int j, std::uint8_t byte) {
#ifdef __SSE2__
    if (j < 16) {
      std::uint8_t* l = list_.data();
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(l));
      // Byte i of the result: v[i − 1] for 1 <= i <= j, v[i] after j, `byte` at 0.
      const __m128i keep = _mm_cmpgt_epi8(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                          _mm_set1_epi8(static_cast<char>(j)));
      const __m128i moved = _mm_or_si128(_mm_and_si128(keep, v), _mm_andnot_si128(keep, _mm_slli_si128(v, 1)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(l), moved);
      l[0] = byte;
      return;
    }
#endif
    std::memmove(list_.data() + 1, list_.data(), static_cast<std::size_t>(j));
    list_[0] = byte;
  }

  MtfSymbols* out_ = nullptr;
  std::array<std::uint8_t, 256> list_{};  // the move-to-front list of byte values
  int size_ = 0;
  std::uint32_t zeros_ = 0;
};

// Scratch space for block_bits, kept between calls to avoid allocation.
struct HuffmanScratch {
  std::vector<std::uint8_t> selectors;
};

// The bits of one block (header to last data bit), given its symbols and bytes in use.
std::uint64_t block_bits(const MtfSymbols& mtf, const InUse& in_use, HuffmanScratch& scratch);

// The part of block_bits that depends on the bytes in use other than through the symbols: the
// mapping table, one bit per 16-value range and 16 bits for each range in use.
std::uint64_t mapping_bits(const InUse& in_use);

// Code lengths as libbz2 builds them: a Huffman tree over weights freq·256 (0 counts as 1)
// whose low byte is the subtree's depth, merged with a binary heap; when a length exceeds
// max_len the weights are halved (w → 1 + w/2) and the tree rebuilt.
void make_code_lengths(std::uint8_t* len, const std::int32_t* freq, int alpha_size, int max_len);

}  // namespace zgen::bzip2
