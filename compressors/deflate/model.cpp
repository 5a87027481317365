// zlib 1.2.13's deflate decisions (deflate.c: fill_window, longest_match, deflate_fast,
// deflate_slow; trees.c: _tr_tally), reimplemented to count bits. See model.hpp for the
// committed-state and input-timing arguments. Positions are window offsets (uInt in zlib): the
// unsigned wrap-arounds of zlib's arithmetic are kept on purpose.
#include "compressors/deflate/model.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <stdexcept>

namespace zgen::deflate {
namespace {

constexpr std::uint32_t kMinLookahead = kMaxMatch + kMinMatch + 1;  // 262
constexpr std::uint32_t kTooFar = 4096;
constexpr std::uint32_t kWinInit = kMaxMatch;       // bytes zeroed beyond the data
// The 8-byte match comparison may read a few bytes past offset 258; the padding keeps those
// reads inside the buffer. zlib itself never reads past strstart + 258 < window_size.
constexpr std::uint32_t kWindowPad = 16;

struct LevelConfig {
  std::uint16_t good, lazy, nice, chain;
};
constexpr LevelConfig kConfig[10] = {
    {0, 0, 0, 0},         {4, 4, 8, 4},        {4, 5, 16, 8},        {4, 6, 32, 32},     {4, 4, 16, 16},
    {8, 16, 32, 32},      {8, 16, 128, 128},   {8, 32, 128, 256},    {32, 128, 258, 1024}, {32, 258, 258, 4096},
};

}  // namespace

struct DeflateModel::MatchResult {
  std::uint32_t len;    // clamped to lookahead, as zlib returns it
  std::uint32_t start;  // match_start after the search
  std::uint32_t reach;  // largest offset from strstart that the search read
};

DeflateModel::DeflateModel(int level) : DeflateModel(DeflateParams{level, 15, 8, false}) {}

DeflateModel::DeflateModel(const DeflateParams& params) : level_(params.level) {
  if (params.level < 1 || params.level > 9) throw std::invalid_argument("deflate model: level must be 1..9");
  if (params.window_bits < 8 || params.window_bits > 15)
    throw std::invalid_argument("deflate model: windowBits must be 8..15");
  if (params.mem_level < 1 || params.mem_level > 9) throw std::invalid_argument("deflate model: memLevel must be 1..9");
  good_match_ = kConfig[level_].good;
  max_lazy_ = kConfig[level_].lazy;
  nice_match_ = kConfig[level_].nice;
  max_chain_ = kConfig[level_].chain;
  // deflateInit2: a 256-byte window is raised to 512; hash_bits = memLevel + 7, hash_shift =
  // (hash_bits + MIN_MATCH − 1) / MIN_MATCH, lit_bufsize = 1 << (memLevel + 6).
  const int window_bits = params.window_bits == 8 ? 9 : params.window_bits;
  wsize_ = 1u << window_bits;
  wmask_ = wsize_ - 1;
  window_size_ = 2 * wsize_;
  max_dist_ = wsize_ - kMinLookahead;
  const std::uint32_t hash_bits = static_cast<std::uint32_t>(params.mem_level) + 7;
  hash_mask_ = (1u << hash_bits) - 1;
  hash_shift_ = (hash_bits + kMinMatch - 1) / kMinMatch;
  max_symbols_ = (1u << (params.mem_level + 6)) - 1;
  filtered_ = params.filtered;
  window_.assign(window_size_ + kWindowPad, 0);
  head_.assign(hash_mask_ + 1, 0);
  prev_.assign(wsize_, 0);
  freqs_.clear();
  pos_journal_.reserve(4096);
  window_journal_.reserve(16);
  window_saved_.reserve(4096);
}

// ---------------------------------------------------------------------------------------------
// Window writes. During a continuation every write is journaled, unless a slide already saved
// the arrays whole.

void DeflateModel::journal_window(std::uint32_t at, std::uint32_t n) {
  assert(at + n <= window_size_);
  if (!journaling_ || slid_) return;
  window_journal_.push_back({at, n, static_cast<std::uint32_t>(window_saved_.size())});
  window_saved_.insert(window_saved_.end(), window_.begin() + at, window_.begin() + at + n);
}

void DeflateModel::write_window(std::uint32_t at, const std::uint8_t* src, std::uint32_t n) {
  if (n == 0) return;
  journal_window(at, n);
  std::memcpy(window_.data() + at, src, n);
}

void DeflateModel::zero_window(std::uint32_t at, std::uint32_t n) {
  if (n == 0) return;
  journal_window(at, n);
  std::memset(window_.data() + at, 0, n);
}

std::uint32_t DeflateModel::insert_string(std::uint32_t str) {
  s_.ins_h = update_hash(s_.ins_h, window_[str + kMinMatch - 1]);
  const std::uint16_t old_head = head_[s_.ins_h];
  if (journaling_ && !slid_) {
    pos_journal_.push_back({(str & wmask_) | 0x80000000u, prev_[str & wmask_]});
    pos_journal_.push_back({s_.ins_h, old_head});
  }
  prev_[str & wmask_] = old_head;
  head_[s_.ins_h] = static_cast<std::uint16_t>(str);
  return old_head;
}

// ---------------------------------------------------------------------------------------------
// Input.

void DeflateModel::slide() {
  if (journaling_ && !slid_) {
    slid_ = true;
    pos_journal_at_slide_ = pos_journal_.size();
    window_journal_at_slide_ = window_journal_.size();
    slide_window_ = window_;
    slide_head_ = head_;
    slide_prev_ = prev_;
  }
  // Only the bytes that hold data are moved down (1.2.9+: wsize - more); the rest of the lower
  // half keeps stale bytes that a match comparison past the end of the data may read.
  const std::uint32_t more = window_size_ - s_.lookahead - s_.strstart;
  std::memcpy(window_.data(), window_.data() + wsize_, wsize_ - more);
  s_.match_start -= wsize_;
  s_.strstart -= wsize_;
  s_.block_start -= static_cast<std::int64_t>(wsize_);
  s_.read_strstart -= wsize_;
  s_.consumed += wsize_;
  for (auto& p : head_) p = static_cast<std::uint16_t>(p >= wsize_ ? p - wsize_ : 0);
  for (auto& p : prev_) p = static_cast<std::uint16_t>(p >= wsize_ ? p - wsize_ : 0);
}

// zlib's high-water rule: after each fill, the WIN_INIT bytes past the data are zeroed once, so
// that comparisons running past the data read zeros, never uninitialised memory.
void DeflateModel::zero_above_data() {
  if (s_.high_water >= window_size_) return;
  const std::uint32_t curr = s_.strstart + s_.lookahead;
  if (s_.high_water < curr) {
    const std::uint32_t init = std::min(window_size_ - curr, kWinInit);
    zero_window(curr, init);
    s_.high_water = curr + init;
  } else if (s_.high_water < curr + kWinInit) {
    const std::uint32_t init = std::min(curr + kWinInit - s_.high_water, window_size_ - s_.high_water);
    zero_window(s_.high_water, init);
    s_.high_water += init;
  }
}

void DeflateModel::fill_window() {
  assert(s_.lookahead < kMinLookahead);
  do {
    std::uint32_t more = window_size_ - s_.lookahead - s_.strstart;
    if (s_.strstart >= wsize_ + max_dist_) {
      slide();
      more += wsize_;
    }
    if (input_.empty()) break;
    const std::uint32_t n = static_cast<std::uint32_t>(std::min<std::size_t>(more, input_.size()));
    write_window(s_.strstart + s_.lookahead, input_.data(), n);
    input_ = input_.subspan(n);
    s_.lookahead += n;
    // zlib recomputes the rolling hash from the two bytes at strstart after every read.
    s_.read_strstart = s_.strstart;
    s_.read_reinit_done = false;
    if (s_.lookahead >= kMinMatch) {
      s_.ins_h = update_hash(window_[s_.strstart], window_[s_.strstart + 1]);
      s_.read_reinit_done = true;
    }
  } while (s_.lookahead < kMinLookahead && !input_.empty());
  zero_above_data();
}

// The bytes that zlib, given them together with the committed ones, would have read in the same
// fill_window call as the end of the committed data (see the header). The rest is returned.
void DeflateModel::extend_last_read(ByteView bytes, ByteView& rest) {
  const std::uint32_t room = window_size_ - s_.strstart - s_.lookahead;
  const std::uint32_t k = static_cast<std::uint32_t>(std::min<std::size_t>(room, bytes.size()));
  if (k > 0) {
    write_window(s_.strstart + s_.lookahead, bytes.data(), k);
    s_.lookahead += k;
    if (!s_.read_reinit_done && s_.lookahead >= kMinMatch) {
      // Only possible when the last read left fewer than 3 bytes, so no step has run since.
      assert(s_.strstart == s_.read_strstart);
      s_.ins_h = update_hash(window_[s_.read_strstart], window_[s_.read_strstart + 1]);
      s_.read_reinit_done = true;
    }
    // Redoing the high-water rule with the new end gives the zeroing of one larger read.
    zero_above_data();
  }
  rest = bytes.subspan(k);
}

// ---------------------------------------------------------------------------------------------
// Matching.

DeflateModel::MatchResult DeflateModel::longest_match(std::uint32_t cur_match) const {
  const std::uint8_t* win = window_.data();
  const std::uint8_t* scan = win + s_.strstart;
  std::uint32_t chain = max_chain_;
  std::uint32_t best_len = s_.prev_length;  // only a longer match than the pending one helps
  std::uint32_t nice = nice_match_;
  const std::uint32_t limit = s_.strstart > max_dist_ ? s_.strstart - max_dist_ : 0;
  std::uint8_t scan_end1 = scan[best_len - 1];
  std::uint8_t scan_end = scan[best_len];
  std::uint32_t reach = best_len;
  std::uint32_t start = s_.match_start;
  if (s_.prev_length >= good_match_) chain >>= 2;
  if (nice > s_.lookahead) nice = s_.lookahead;
  do {
    const std::uint8_t* match = win + cur_match;
    // Cheap rejections first, in zlib's order; byte 2 is never compared: zlib relies on the
    // hash, and a collision there is part of its behaviour.
    if (match[best_len] != scan_end || match[best_len - 1] != scan_end1 || match[0] != scan[0] ||
        match[1] != scan[1])
      continue;
    std::uint32_t len = 3;
    for (;;) {
      std::uint64_t a, b;
      std::memcpy(&a, scan + len, 8);
      std::memcpy(&b, match + len, 8);
      if (const std::uint64_t diff = a ^ b) {
        len += static_cast<std::uint32_t>(__builtin_ctzll(diff)) >> 3;
        break;
      }
      len += 8;
      if (len >= kMaxMatch) break;
    }
    if (len > kMaxMatch) len = kMaxMatch;
    if (len > reach) reach = len;
    if (len > best_len) {
      start = cur_match;
      best_len = len;
      if (len >= nice) break;
      scan_end1 = scan[best_len - 1];
      scan_end = scan[best_len];
    }
  } while ((cur_match = prev_[cur_match & wmask_]) > limit && --chain != 0);
  return {best_len <= s_.lookahead ? best_len : s_.lookahead, start, reach};
}

// ---------------------------------------------------------------------------------------------
// Symbols and blocks.

bool DeflateModel::tally_lit(std::uint8_t c) {
  ++freqs_.lit[c];
  return ++s_.sym_count == max_symbols_;
}

bool DeflateModel::tally_dist(std::uint32_t dist, std::uint32_t len_minus_3) {
  ++freqs_.lit[length_code(len_minus_3) + kLiterals + 1];
  ++freqs_.dist[dist_code(dist - 1)];
  return ++s_.sym_count == max_symbols_;
}

void DeflateModel::flush_block() {
  const std::int64_t stored_len = static_cast<std::int64_t>(s_.strstart) - s_.block_start;
  s_.bits += block_bits(freqs_, static_cast<std::uint64_t>(stored_len), s_.block_start >= 0, s_.bits);
  freqs_.clear();
  s_.sym_count = 0;
  s_.block_start = s_.strstart;
}

// ---------------------------------------------------------------------------------------------
// The compression loop: deflate_slow (kLazy) or deflate_fast.
//
// kFinal runs to the end of the input as deflate(Z_BLOCK) does. kCommit stops where the next step
// could depend on bytes not yet given (the header's "tail" rule): each tail step checks what it
// read and is undone if it read at or past the end of the data.

void DeflateModel::run(Mode mode, StreamEnd end) {
  if (level_ <= 3)
    run_level<false>(mode, end);
  else
    run_level<true>(mode, end);
}

template <bool kLazy>
void DeflateModel::run_level(Mode mode, StreamEnd end) {
  for (;;) {
    bool tail = false;
    if (s_.lookahead < kMinLookahead) {
      // With bytes left to read the window is full, so zlib would fill here whatever follows.
      if (mode == Mode::kFinal || !input_.empty()) {
        fill_window();
        if (s_.lookahead == 0) break;
      }
      // A fill that used up the input leaves this very step in the tail.
      if (mode == Mode::kCommit && s_.lookahead < kMinLookahead) {
        assert(input_.empty());
        if (s_.lookahead < kMinMatch) return;              // the insertion would read past the data
        if (s_.strstart >= wsize_ + max_dist_) return;      // zlib slides here only if little follows
        tail = true;
      }
    }
    const std::uint32_t end = s_.strstart + s_.lookahead;  // in a tail step: end of the committed data
    const Scalars before = s_;
    std::uint32_t hash_head = 0;
    std::uint16_t prev_before = 0;
    if (s_.lookahead >= kMinMatch) {
      prev_before = prev_[s_.strstart & wmask_];
      hash_head = insert_string(s_.strstart);
    }
    // Undo of a tail step: the one insertion done so far and the scalars.
    auto undo_step = [&] {
      head_[s_.ins_h] = static_cast<std::uint16_t>(hash_head);
      prev_[before.strstart & wmask_] = prev_before;
      s_ = before;
    };

    if constexpr (kLazy) {
      s_.prev_length = s_.match_length;
      s_.prev_match = s_.match_start;
      s_.match_length = kMinMatch - 1;
      if (hash_head != 0 && s_.prev_length < max_lazy_ && s_.strstart - hash_head <= max_dist_) {
        const MatchResult r = longest_match(hash_head);
        if (tail && s_.strstart + r.reach >= end) return undo_step();
        s_.match_start = r.start;
        s_.match_length = r.len;
        // A length-3 match far away costs more than three literals; Z_FILTERED drops every
        // match of length 5 or less.
        if (s_.match_length <= 5 &&
            (filtered_ || (s_.match_length == kMinMatch && s_.strstart - s_.match_start > kTooFar)))
          s_.match_length = kMinMatch - 1;
      }
      if (s_.prev_length >= kMinMatch && s_.match_length <= s_.prev_length) {
        // The pending match wins. Its insertions stop 3 bytes before the end of the data; in a
        // tail step that limit depends on what follows unless the match ends well before it.
        if (tail && s_.strstart + s_.prev_length >= end) return undo_step();
        const std::uint32_t max_insert = s_.strstart + s_.lookahead - kMinMatch;
        const bool flush = tally_dist(s_.strstart - 1 - s_.prev_match, s_.prev_length - kMinMatch);
        s_.lookahead -= s_.prev_length - 1;
        std::uint32_t n = s_.prev_length - 2;
        do {
          if (++s_.strstart <= max_insert) insert_string(s_.strstart);
        } while (--n != 0);
        s_.prev_length = 0;
        s_.match_available = false;
        s_.match_length = kMinMatch - 1;
        ++s_.strstart;
        if (flush) flush_block();
      } else if (s_.match_available) {
        // The previous byte goes out as a literal; the block ends before strstart advances.
        const bool flush = tally_lit(window_[s_.strstart - 1]);
        if (flush) flush_block();
        ++s_.strstart;
        --s_.lookahead;
      } else {
        s_.match_available = true;
        ++s_.strstart;
        --s_.lookahead;
      }
    } else {
      if (hash_head != 0 && s_.strstart - hash_head <= max_dist_) {
        const MatchResult r = longest_match(hash_head);
        if (tail && s_.strstart + r.reach >= end) return undo_step();
        s_.match_start = r.start;
        s_.match_length = r.len;
      }
      if (s_.match_length >= kMinMatch) {
        // Whether the matched strings are inserted depends on the lookahead left after the match.
        if (tail && s_.lookahead - s_.match_length < kMinMatch) return undo_step();
        const bool flush = tally_dist(s_.strstart - s_.match_start, s_.match_length - kMinMatch);
        s_.lookahead -= s_.match_length;
        if (s_.match_length <= max_lazy_ && s_.lookahead >= kMinMatch) {
          --s_.match_length;
          do {
            ++s_.strstart;
            insert_string(s_.strstart);
          } while (--s_.match_length != 0);
          ++s_.strstart;
        } else {
          s_.strstart += s_.match_length;
          s_.match_length = 0;
          s_.ins_h = update_hash(window_[s_.strstart], window_[s_.strstart + 1]);
        }
        if (flush) flush_block();
      } else {
        const bool flush = tally_lit(window_[s_.strstart]);
        --s_.lookahead;
        ++s_.strstart;
        if (flush) flush_block();
      }
    }
  }

  // End of input: the pending literal, then under Z_BLOCK the open block if it holds anything,
  // under Z_FINISH the last block whatever it holds.
  assert(mode == Mode::kFinal);
  if constexpr (kLazy) {
    if (s_.match_available) {
      tally_lit(window_[s_.strstart - 1]);
      s_.match_available = false;
    }
  }
  if (s_.sym_count != 0 || end == StreamEnd::kFinish) {
    if (give_up_at_ != UINT64_MAX) {
      const std::int64_t stored_len = static_cast<std::int64_t>(s_.strstart) - s_.block_start;
      const std::uint64_t bound =
          s_.bits + block_bits_lower_bound(freqs_, static_cast<std::uint64_t>(stored_len), s_.block_start >= 0);
      if (bound >= give_up_at_) {
        s_.bits = bound;
        return;
      }
    }
    flush_block();
  }
}

// ---------------------------------------------------------------------------------------------
// Public operations.

void DeflateModel::check_invariants() const {
#ifndef NDEBUG
  assert(s_.strstart + s_.lookahead <= window_size_);
  assert(s_.high_water <= window_size_);
  assert(input_.empty());
  assert(!journaling_);
  assert(s_.sym_count < max_symbols_);
  assert(freqs_.lit[kEndBlock] == 1);
#endif
}

void DeflateModel::append(ByteView bytes) {
  ByteView rest;
  extend_last_read(bytes, rest);
  pending_.assign(rest.begin(), rest.end());
  input_ = pending_;
  run(Mode::kCommit);
  assert(input_.empty());
  pending_.clear();
  check_invariants();
}

void DeflateModel::undo_continuation(const Scalars& saved_scalars, const BlockFreqs& saved_freqs) {
  std::size_t pos_end = pos_journal_.size(), win_end = window_journal_.size();
  if (slid_) {
    // The copy holds the arrays as they were at the first slide; older changes are undone below.
    window_.swap(slide_window_);
    head_.swap(slide_head_);
    prev_.swap(slide_prev_);
    pos_end = pos_journal_at_slide_;
    win_end = window_journal_at_slide_;
    slid_ = false;
  }
  for (std::size_t i = pos_end; i-- > 0;) {
    const PosUndo& u = pos_journal_[i];
    if (u.index & 0x80000000u)
      prev_[u.index & wmask_] = u.old;
    else
      head_[u.index] = u.old;
  }
  for (std::size_t i = win_end; i-- > 0;) {
    const WindowUndo& u = window_journal_[i];
    std::memcpy(window_.data() + u.at, window_saved_.data() + u.saved_at, u.n);
  }
  pos_journal_.clear();
  window_journal_.clear();
  window_saved_.clear();
  s_ = saved_scalars;
  freqs_ = saved_freqs;
  input_ = {};
}

std::uint64_t DeflateModel::bits_with(ByteView x, StreamEnd end, std::uint64_t give_up_at) {
  check_invariants();
  give_up_at_ = give_up_at;
  const Scalars saved_scalars = s_;
  const BlockFreqs saved_freqs = freqs_;
  journaling_ = true;
  ByteView rest;
  extend_last_read(x, rest);
  input_ = rest;
  run(Mode::kFinal, end);
  const std::uint64_t total = s_.bits;
  undo_continuation(saved_scalars, saved_freqs);
  journaling_ = false;
  give_up_at_ = UINT64_MAX;
  check_invariants();
  return total;
}

std::uint64_t deflate_bits(ByteView data, int level) {
  DeflateModel model(level);
  return model.bits_with(data);
}

std::uint64_t deflate_bits(ByteView data, const DeflateParams& params, StreamEnd end) {
  DeflateModel model(params);
  return model.bits_with(data, end);
}

}  // namespace zgen::deflate
