#pragma once
// A cost model of zlib 1.2.13's deflate (levels 1..9, windowBits 9..15, memLevel 1..9, default or
// Z_FILTERED strategy) that takes every decision zlib takes, with the whole input given to one
// deflate(..., Z_BLOCK) or deflate(..., Z_FINISH) call, and counts the bits instead of writing
// them. gzip uses windowBits 15, memLevel 8, the default strategy; png uses what libpng asks for
// (memLevel 9, a window fitted to the image, Z_FILTERED when rows are filtered).
//
// Why a model and not zlib: sampling needs ℓ(c·x) for 256 continuations x of the same context c.
// The model keeps the state after c and costs each x by running only the last few hundred
// positions and an exact tree-cost computation, then undoes what it touched.
//
// Committed state. append() processes the committed bytes only as far as every decision is the
// same whatever bytes follow: normal steps while at least MIN_LOOKAHEAD (262) bytes are ahead,
// then "tail" steps whose every read (match comparison, hash insertion, insertion limit, slide
// test) stays inside the committed data. The first tail step that could depend on later bytes
// is left undone; that is where every continuation starts.
//
// Input timing. zlib reads input into its 64 KiB window only when lookahead drops below 262,
// taking as much as fits. With all of c·x available, the bytes of x would have been read by the
// same fill_window call that read the end of c, because no fill happens between that call and
// the committed state. So a continuation is appended as an extension of that last read (same
// window position, same hash reinitialisation and high-water zeroing), and whatever does not fit
// is read by later fills exactly as zlib reads it.
#include <cstdint>
#include <vector>

#include "compressors/deflate/trees.hpp"
#include "zgen/bytes.hpp"

namespace zgen::deflate {

// The zlib release whose choices the model takes; compressors/gzip_guard.cpp checks the linked one.
inline constexpr const char* kModelZlibVersion = "1.2.13";

// deflateInit2's parameters that change decisions (the method is always Z_DEFLATED).
struct DeflateParams {
  int level = 9;          // 1..9
  int window_bits = 15;   // 9..15 (zlib turns 8 into 9)
  int mem_level = 8;      // 1..9: hash_bits = mem_level + 7, a block holds 2^(mem_level + 6) − 1 symbols
  bool filtered = false;  // Z_FILTERED: deflate_slow drops matches of length 5 or less
};

// How the stream is ended: Z_BLOCK flushes the open block if it holds a symbol; Z_FINISH always
// writes a last block (an empty one when the input ended exactly at a block boundary) and then
// pads to a byte, which the caller adds (finished streams are counted in whole bytes).
enum class StreamEnd { kBlock, kFinish };

class DeflateModel {
 public:
  explicit DeflateModel(int level);  // 1..9, windowBits 15, memLevel 8, default strategy (gzip)
  explicit DeflateModel(const DeflateParams& params);

  // c ← c·bytes, advancing the committed state as far as it is independent of what follows.
  void append(ByteView bytes);
  // Bits of the raw deflate stream of c·x ended by deflate(Z_BLOCK), i.e. what zlib's
  // deflatePending reports plus total_out (with kFinish: before the final padding to a byte).
  // The model's state is unchanged afterwards. With give_up_at, the last block is first priced by
  // a lower bound (block_bits_lower_bound): when that reaches give_up_at the bound is returned
  // instead of the exact count, i.e. some value ≥ give_up_at, and no tree is built.
  std::uint64_t bits_with(ByteView x, StreamEnd end = StreamEnd::kBlock, std::uint64_t give_up_at = UINT64_MAX);
  std::uint64_t bits() { return bits_with({}); }

  // Position of the committed state: bytes of c consumed into symbols, for tests and tuning.
  std::uint64_t committed_position() const { return s_.consumed + s_.strstart; }

 private:
  struct MatchResult;
  enum class Mode { kCommit, kFinal };

  // Everything small that a step changes; copied whole to undo a continuation.
  struct Scalars {
    std::uint32_t strstart = 0;
    std::uint32_t lookahead = 0;
    std::uint32_t match_start = 0;
    std::uint32_t prev_match = 0;
    std::uint32_t match_length = kMinMatch - 1;
    std::uint32_t prev_length = kMinMatch - 1;
    std::uint32_t ins_h = 0;
    std::uint32_t high_water = 0;
    std::uint32_t read_strstart = 0;   // strstart at the last fill that read input
    std::uint32_t sym_count = 0;       // symbols in the open block
    std::int64_t block_start = 0;      // may go negative after slides, as in zlib
    std::uint64_t bits = 0;            // bits of the blocks already flushed
    std::uint64_t consumed = 0;        // bytes slid out of the window (input offset of window[0])
    bool match_available = false;
    bool read_reinit_done = false;     // the last read reinitialised ins_h
  };

  void run(Mode mode, StreamEnd end = StreamEnd::kBlock);
  template <bool kLazy>
  void run_level(Mode mode, StreamEnd end);
  std::uint32_t update_hash(std::uint32_t h, std::uint8_t c) const { return ((h << hash_shift_) ^ c) & hash_mask_; }
  void extend_last_read(ByteView bytes, ByteView& rest);
  void fill_window();
  void zero_above_data();
  void slide();
  MatchResult longest_match(std::uint32_t cur_match) const;
  std::uint32_t insert_string(std::uint32_t str);
  bool tally_lit(std::uint8_t c);
  bool tally_dist(std::uint32_t dist, std::uint32_t len_minus_3);
  void flush_block();
  void journal_window(std::uint32_t at, std::uint32_t n);  // saves window[at, at + n) before a write
  void write_window(std::uint32_t at, const std::uint8_t* src, std::uint32_t n);
  void zero_window(std::uint32_t at, std::uint32_t n);
  void undo_continuation(const Scalars& saved_scalars, const BlockFreqs& saved_freqs);
  void check_invariants() const;

  // Level configuration (zlib's configuration_table).
  int level_;
  std::uint32_t good_match_, max_lazy_, nice_match_, max_chain_;
  // Geometry from windowBits and memLevel (deflateInit2), and the strategy.
  std::uint32_t wsize_, wmask_, window_size_, max_dist_;  // w_size, w_mask, window_size, MAX_DIST
  std::uint32_t hash_mask_, hash_shift_;
  std::uint32_t max_symbols_;  // lit_bufsize − 1: sym_end / 3 in 1.2.13
  bool filtered_;
  std::uint64_t give_up_at_ = UINT64_MAX;  // of the bits_with in progress

  Scalars s_;
  BlockFreqs freqs_;
  std::vector<std::uint8_t> window_;
  std::vector<std::uint16_t> head_, prev_;
  ByteView input_;  // bytes given but not yet read into the window
  Bytes pending_;   // storage behind input_ during append()

  // Undo journal of a continuation: old values of head/prev entries and window bytes.
  bool journaling_ = false;
  struct PosUndo {
    std::uint32_t index;  // bit 31 set: prev[], else head[]
    std::uint16_t old;
  };
  std::vector<PosUndo> pos_journal_;
  struct WindowUndo {
    std::uint32_t at, n, saved_at;
  };
  std::vector<WindowUndo> window_journal_;
  std::vector<std::uint8_t> window_saved_;
  // A slide during a continuation rewrites everything: the arrays are saved whole at the first
  // one, and journal entries recorded after it are superseded by that copy.
  bool slid_ = false;
  std::size_t pos_journal_at_slide_ = 0, window_journal_at_slide_ = 0;
  std::vector<std::uint8_t> slide_window_;
  std::vector<std::uint16_t> slide_head_, slide_prev_;
};

// From scratch: the model's bit count for data, all of it given at once (no committed state).
std::uint64_t deflate_bits(ByteView data, int level);
std::uint64_t deflate_bits(ByteView data, const DeflateParams& params, StreamEnd end);

}  // namespace zgen::deflate
