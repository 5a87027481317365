#pragma once
// BitWalk's walk over the bits (bit_walk.hpp): included by the versions' .cpp files only,
// where Model is complete and its predict/learn inline into the walk.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "src/common/exact_math.hpp"
#include "src/models/ppm/bit_walk.hpp"
#include "src/models/ppm/mixer.hpp"
#include "src/models/ppm/squash.hpp"
#include "src/models/ppm/state_table.hpp"

namespace zgen::ppm {

// The first-layer mixers' learning rate, both versions (tuned for ppm:N on the first
// 100-250 KB of sotu-valid.txt; ppm2 did not retune it).
inline constexpr int kMixerRate = 10;          // steady
inline constexpr int kMixerRateBoost = 24;     // extra while young: boost · h / (h + bytes seen)
inline constexpr int kMixerRateHalfLife = 4096;
static_assert(kMixerRate + kMixerRateBoost <= Mixer::kMaxRate, "the mixers' 32-bit update is exact only up to kMaxRate");

namespace detail {
inline int quantise_match_length(int len) {  // 1..31
  if (len < 16) return len;
  return std::min(16 + (len - 16) / 4, 31);
}
}  // namespace detail

template <class M, class P, int N, bool S>
inline int BitWalk<M, P, N, S>::read_inputs(const Cursor& at, P& out, int& match_state) const {
  // Locals throughout: the byte stores would otherwise make the compiler reload every
  // pointer on every context.
  const int node = at.node();
  const int n = n_contexts_, words = word_context_;
  std::uint8_t* const* const slot = at.slot;
  const StateMap::Entry* const sm = state_map_.entries();
  int highest = 0;
  int* const x = out.x.data();
  std::array<std::uint8_t, N> state{};  // a byte store to out.state could alias anything
  for (int i = 0; i < n; ++i) {
    const int s = slot[i][node];
    state[i] = static_cast<std::uint8_t>(s);
    x[i] = stretch16(static_cast<int>(sm[i * 256 + s].p >> 16));
    highest = s != 0 && i < words ? i : highest;
  }
  static_assert(std::tuple_size_v<decltype(out.state)> == N);
  out.state = state;  // a fixed size: a vector move, no call
  out.match_ctx = -1;
  match_state = 0;
  if (match_byte_ >= 0 && ((match_byte_ | 256) >> (8 - at.bitpos)) == at.c0) {
    const int bit = (match_byte_ >> (7 - at.bitpos)) & 1;
    out.match_ctx = detail::quantise_match_length(match_len_) * 2 + bit;
    out.x[n] = stretch16(match_map_.p16(out.match_ctx));
    match_state = match_state_;
  } else {
    out.x[n] = 0;
  }
  return highest;
}

template <class M, class P, int N, bool S>
template <class Undo>
inline void BitWalk<M, P, N, S>::learn_inputs(const Cursor& at, const P& pred, int bit, Undo& undo) {
  const StateTable& st = StateTable::instance();
  const int node = at.node();
  const int n = n_contexts_, limit = state_map_.limit();
  // Locals, so that the byte stores below cannot make the compiler reload them.
  std::uint8_t* const* const slot = at.slot;
  const std::uint8_t* const state = pred.state.data();
  StateMap::Entry* const sm = state_map_.entries();
  for (int i = 0; i < n; ++i) {
    std::uint8_t* s = slot[i] + node;
    const int old = state[i];
    undo.save(s, 1);
    *s = st.next(static_cast<std::uint8_t>(old), bit);
    StateMap::Entry& e = sm[i * 256 + old];
    undo.save(&e, sizeof e);
    StateMap::learn(e, bit, limit);
  }
  if (pred.match_ctx >= 0) match_map_.update(pred.match_ctx, bit, undo);
}

template <class M, class P, int N, bool S>
template <class Undo>
inline void BitWalk<M, P, N, S>::learn_states(const Cursor& at, const P& pred, int bit, Undo& undo) {
  const StateTable& st = StateTable::instance();
  const int node = at.node();
  std::uint8_t* const* const slot = at.slot;
  const std::uint8_t* const state = pred.state.data();
  for (int i = 0; i < n_contexts_; ++i) {
    std::uint8_t* s = slot[i] + node;
    undo.save(s, 1);
    *s = st.next(state[i], bit);
  }
}

template <class M, class P, int N, bool S>
void BitWalk<M, P, N, S>::reset(ByteView context) {
  clear();
  for (std::uint8_t b : context) observe(b);
}

template <class M, class P, int N, bool S>
void BitWalk<M, P, N, S>::observe(std::uint8_t byte) {
  if (bitpos_ != 0) throw std::logic_error(std::string(M::kFamily) + ": observe() in the middle of a byte");
  for (int i = 7; i >= 0; --i) {
    p1();
    update_bit((byte >> i) & 1);
  }
}

template <class M, class P, int N, bool S>
std::uint32_t BitWalk<M, P, N, S>::p1() {
  if (!pending_valid_) {
    self().predict(Cursor{slot_.data(), c0_, bitpos_}, pending_);
    pending_valid_ = true;
    self().prefetch_next();
  }
  return pending_.p1;
}

template <class M, class P, int N, bool S>
void BitWalk<M, P, N, S>::update_bit(int bit) {
  NoUndo no_undo;
  advance(bit, no_undo);
}

template <class M, class P, int N, bool S>
template <class Undo>
void BitWalk<M, P, N, S>::advance(int bit, Undo& undo) {
  bit = bit ? 1 : 0;
  p1();
  self().learn(Cursor{slot_.data(), c0_, bitpos_}, pending_, bit, undo);
  pending_valid_ = false;
  c0_ = c0_ * 2 + bit;
  ++bitpos_;
  if constexpr (S) {
    // The second nibble's hash and line for both outcomes of bit 3, the lines fetched now:
    // they lie in the pages the first nibble's claims have walked already.
    if (bitpos_ == 3)
      for (int b = 0; b < 2; ++b)
        for (int i = 0; i < n_contexts_; ++i) {
          const std::uint64_t h = context_hash_[i], h2 = second_nibble_hash(h, (c0_ * 2 + b) & 15);
          ahead_hash_[b][i] = h2;
          ahead_line_[b][i] = tables_[i].second_line(h, h2);
          __builtin_prefetch(ahead_line_[b][i], 1);
        }
  }
  if (bitpos_ == 4) {
    begin_nibble(undo);
  } else if (bitpos_ == 8) {
    const auto byte = static_cast<std::uint8_t>(c0_ & 0xFF);
    c0_ = 1;
    bitpos_ = 0;
    history_.push(byte);
    // The byte's slot lines and first APM rows are fetched before the match model looks up
    // its table, so that their misses overlap (only speed depends on the order).
    fetch_first_nibble();
    self().prefetch_byte();
    match_.observe(byte, undo);
    ++bytes_seen_;
    begin_byte(undo);
  }
}

template <class M, class P, int N, bool S>
void BitWalk<M, P, N, S>::fetch_first_nibble() {
  for (int i = 0; i < n_contexts_; ++i) {
    const std::uint64_t h = i < word_context_    ? order_hash(history_, orders_[i])
                            : i == word_context_ ? word_hash(history_)
                                                 : word_pair_hash(history_);
    context_hash_[i] = h;
    first_line_[i] = tables_[i].first_line(h);
    __builtin_prefetch(first_line_[i], 1);  // claims are cache misses: start them all, then claim
  }
}

template <class M, class P, int N, bool S>
template <class Undo>
void BitWalk<M, P, N, S>::begin_byte(Undo& undo) {
  for (int i = 0; i < n_contexts_; ++i) slot_[i] = tables_[i].claim_first(first_line_[i], context_hash_[i], undo);
  match_len_ = match_.length();
  match_byte_ = match_len_ > 0 ? match_.predicted_byte() : -1;
  match_state_ = match_len_ == 0 ? 0 : match_len_ < 16 ? 1 : match_len_ < 32 ? 2 : 3;
  // Fast while the model is young (a 2048-byte chunk must learn quickly), then steady.
  // Once per byte: it is a 64-bit division.
  mixer_rate_ = kMixerRate + static_cast<int>(kMixerRateBoost * kMixerRateHalfLife /
                                              (kMixerRateHalfLife + std::min<std::uint64_t>(bytes_seen_, 1u << 30)));
}

template <class M, class P, int N, bool S>
template <class Undo>
void BitWalk<M, P, N, S>::begin_nibble(Undo& undo) {
  if constexpr (S) {
    const int bit3 = c0_ & 1;  // the lines were computed and fetched at bit 3 (advance)
    for (int i = 0; i < n_contexts_; ++i)
      slot_[i] = tables_[i].claim_second(ahead_line_[bit3][i], ahead_hash_[bit3][i], undo);
    return;
  }
  const int high_nibble = c0_ & 15;
  std::array<std::uint64_t, N> h;
  std::array<std::uint8_t*, N> line;
  for (int i = 0; i < n_contexts_; ++i) {
    h[i] = second_nibble_hash(context_hash_[i], high_nibble);
    line[i] = tables_[i].second_line(context_hash_[i], h[i]);
    __builtin_prefetch(line[i], 1);
  }
  for (int i = 0; i < n_contexts_; ++i) slot_[i] = tables_[i].claim_second(line[i], h[i], undo);
}

template <class M, class P, int N, bool S>
std::vector<double> BitWalk<M, P, N, S>::extra_bits(std::span<const Bytes> continuations) {
  if (bitpos_ != 0) throw std::logic_error(std::string(M::kFamily) + ": extra_bits() in the middle of a byte");
  std::vector<double> bits;
  bits.reserve(continuations.size());
  for (const Bytes& s : continuations) {
    // Code s exactly as observe() would, every change logged, then roll it all back: the
    // byte-level context first (so that rollback restores it last, to what it was).
    const std::size_t mark = undo_.mark();
    const auto save = [&](auto&... fields) { (undo_.save(&fields, sizeof fields), ...); };
    save(context_hash_, slot_, history_, c0_, bitpos_, bytes_seen_, mixer_rate_, match_byte_, match_len_, match_state_,
         pending_, pending_valid_);
    double total = 0.0;
    for (std::uint8_t byte : s)
      for (int i = 7; i >= 0; --i) {
        const int bit = (byte >> i) & 1;
        const std::uint32_t p = p1();
        total -= std::log2((bit ? p : 65536 - p) / 65536.0);
        advance(bit, undo_);
      }
    undo_.rollback(mark);
    bits.push_back(total);
  }
  return bits;
}

template <class M, class P, int N, bool S>
const std::vector<std::uint8_t>& BitWalk<M, P, N, S>::alphabet() const {
  static const std::vector<std::uint8_t> all = [] {
    std::vector<std::uint8_t> a(256);
    for (int b = 0; b < 256; ++b) a[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(b);
    return a;
  }();
  return all;
}

template <class M, class P, int N, bool S>
void BitWalk<M, P, N, S>::walk_tree(std::array<std::uint8_t*, N> slots, int c0, int bitpos, double log_p,
                                 std::span<double, 256> out) {
  if (bitpos == 8) {
    out[c0 & 0xFF] = log_p;
    return;
  }
  if (bitpos == 4) {
    // What begin_nibble() would claim: the slot if present, else an empty one.
    for (int i = 0; i < n_contexts_; ++i) {
      slots[i] = tables_[i].find_second(context_hash_[i], second_nibble_hash(context_hash_[i], c0 & 15));
      if (!slots[i]) slots[i] = scratch_[i].data();  // all zero, and rolled back to zero
    }
  }
  const Cursor at{slots.data(), c0, bitpos};
  P pred;
  self().predict(at, pred);
  for (int bit = 0; bit < 2; ++bit) {
    const std::size_t mark = undo_.mark();
    self().learn(at, pred, bit, undo_);
    const double p = (bit ? pred.p1 : 65536 - pred.p1) / 65536.0;
    // exact_log, not libm's log: the same bits on every machine (the coder decodes with them)
    walk_tree(slots, c0 * 2 + bit, bitpos + 1, log_p + exact_log(p), out);
    undo_.rollback(mark);
  }
}

template <class M, class P, int N, bool S>
void BitWalk<M, P, N, S>::log_probs(std::span<double, 256> out) {
  if (bitpos_ != 0) throw std::logic_error(std::string(M::kFamily) + ": log_probs() in the middle of a byte");
  walk_tree(slot_, 1, 0, 0.0, out);
}

}  // namespace zgen::ppm
