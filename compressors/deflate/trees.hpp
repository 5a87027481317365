#pragma once
// The bit cost of one deflate block as zlib 1.2.13 would write it (trees.c, _tr_flush_block),
// without writing it: the dynamic Huffman trees are built exactly as zlib builds them (same heap,
// same tie-breaks, same length-limiting fix-up), because the cost of sending the trees depends on
// which symbol gets which length, not only on the multiset of lengths.
#include <cstdint>

namespace zgen::deflate {

inline constexpr int kLiterals = 256;
inline constexpr int kEndBlock = 256;
inline constexpr int kLitCodes = 286;   // literal/length alphabet that zlib's trees use
inline constexpr int kDistCodes = 30;
inline constexpr int kBlCodes = 19;
inline constexpr int kMinMatch = 3;
inline constexpr int kMaxMatch = 258;

// Symbol counts of the open block. END_BLOCK always counts once (zlib's init_block).
// uint16 suffices: a block holds at most 32767 symbols (memLevel 9) plus END_BLOCK.
struct BlockFreqs {
  std::uint16_t lit[kLitCodes];
  std::uint16_t dist[kDistCodes];
  void clear();
};

// Tables shared with the matcher: length code (0..28) of a match length minus 3, and
// distance code (0..29) of a distance minus 1.
std::uint8_t length_code(unsigned len_minus_3);
std::uint8_t dist_code(unsigned dist_minus_1);

// Cost in bits of flushing the block (not the last one): the smallest of stored, fixed and
// dynamic, chosen with zlib's byte-rounded comparisons.
//   stored_len: bytes the block covers (strstart - block_start); stored_ok: block_start >= 0,
//   i.e. those bytes are still in the window; bit_pos: stream position before the block, which
//   decides the padding of a stored block.
std::uint64_t block_bits(const BlockFreqs& freqs, std::uint64_t stored_len, bool stored_ok,
                         std::uint64_t bit_pos);

// A lower bound on block_bits whatever the stream position: no prefix code (fixed or dynamic)
// spends fewer bits on the symbols than their entropy, extra bits and the 3 header bits come on
// top, and a stored block costs its bytes and at least 35 bits. Cheaper than block_bits (no tree
// is built); callers use it to skip blocks that cannot beat a length they already have.
std::uint64_t block_bits_lower_bound(const BlockFreqs& freqs, std::uint64_t stored_len, bool stored_ok);

}  // namespace zgen::deflate
