#pragma once
// Match model: finds the last occurrence of the current context (its last min_len bytes)
// in the history and predicts that the byte which followed it then follows it now.
// Long repeats (quoted phrases, boilerplate, repeated names) are where a bit-history of
// bounded order is slow and a match is nearly certain; how far to trust a match of a
// given length is learned by a StateMap indexed by (quantised length, predicted bit).
//
// The history is a ring buffer and the hash table stores absolute positions. A primed
// model keeps the primer as the start of its history (so a chunk can match primer
// phrases); reset() returns to that: table entries written since are listed and restored
// from the primed table, and positions before `floor_` (the primer) are never treated as
// the current context.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "src/models/ppm/undo_log.hpp"

namespace zgen::ppm {

class MatchModel {
 public:
  static constexpr int kMaxLen = 65535;

  struct Image {
    std::vector<std::uint32_t> table;
    std::vector<std::uint8_t> history;  // the primer, at positions 0..size-1
  };

  MatchModel(int min_len, int table_bits, int history_bits)
      : min_len_(min_len),
        table_(std::size_t{1} << table_bits, 0),
        table_mask_((std::size_t{1} << table_bits) - 1),
        history_(std::size_t{1} << history_bits, 0),
        history_mask_((std::size_t{1} << history_bits) - 1) {}

  void reset() {
    if (overflowed_) {
      if (image_) table_ = image_->table;
      else std::fill(table_.begin(), table_.end(), 0u);
    } else {
      for (std::uint32_t i : dirty_) table_[i] = image_ ? image_->table[i] : 0;
    }
    dirty_.clear();
    overflowed_ = false;
    const std::size_t primed = image_ ? image_->history.size() : 0;
    if (primed && pos_ > history_.size())  // the ring wrapped over the primer
      std::copy(image_->history.begin(), image_->history.end(), history_.begin());
    pos_ = floor_ = static_cast<std::uint32_t>(primed);
    ptr_ = 0;
    len_ = 0;
  }

  Image capture() const { return {table_, std::vector<std::uint8_t>(history_.begin(), history_.begin() + pos_)}; }
  // Makes `image` (a capture at a position below the ring size) the state reset() returns to.
  void install(std::shared_ptr<const Image> image) {
    image_ = std::move(image);
    std::copy(image_->history.begin(), image_->history.end(), history_.begin());
    overflowed_ = true;
    reset();
  }

  // Appends a byte and moves or re-finds the match.
  void observe(std::uint8_t byte) {
    NoUndo no_undo;
    observe(byte, no_undo);
  }
  // The same, saving in `undo` everything it changes first. A tentative observe (UndoLog: rolled
  // back before anything else reads the model) leaves the dirty list alone.
  template <class Undo>
  void observe(std::uint8_t byte, Undo& undo) {
    constexpr bool kTentative = !std::is_same_v<Undo, NoUndo>;
    undo.save(&pos_, sizeof pos_);
    undo.save(&ptr_, sizeof ptr_);
    undo.save(&len_, sizeof len_);
    undo.save(&history_[pos_ & history_mask_], 1);
    if (len_ > 0) {
      if (at(ptr_) == byte) {
        if (len_ < kMaxLen) ++len_;
        ++ptr_;
      } else {
        len_ = 0;
      }
    }
    history_[pos_ & history_mask_] = byte;
    ++pos_;
    // Positions are 32-bit absolute; long before they could wrap, start afresh.
    if (pos_ >= (1u << 31)) {
      // A tentative observe never gets here: 2^31 bytes into one history.
      if (kTentative) throw std::logic_error("ppm: tentative observe at the end of the match model's positions");
      overflowed_ = true;
      reset();
      return;
    }
    if (pos_ - floor_ < static_cast<std::uint32_t>(min_len_)) return;
    const std::size_t h = hash_tail();
    if (len_ == 0) {
      const std::uint32_t candidate = table_[h];  // position after an earlier occurrence
      if (candidate > 0 && pos_ - candidate < history_.size() - 64) {
        int n = 0;  // verify: a hash hit is not a match
        const int most = static_cast<int>(std::min<std::uint32_t>({64, candidate, pos_ - floor_}));
        while (n < most && at(candidate - 1 - n) == at(pos_ - 1 - n)) ++n;
        if (n >= min_len_) {
          len_ = n;
          ptr_ = candidate;
        }
      }
    }
    if (!overflowed_ && !kTentative) {
      if (dirty_.size() * 8 >= table_.size()) overflowed_ = true, dirty_.clear();
      else dirty_.push_back(static_cast<std::uint32_t>(h));
    }
    undo.save(&table_[h], sizeof table_[h]);
    table_[h] = pos_;
  }

  int length() const { return len_; }
  // The predicted next byte; meaningful only when length() > 0.
  std::uint8_t predicted_byte() const { return at(ptr_); }

 private:
  std::uint8_t at(std::uint32_t p) const { return history_[p & history_mask_]; }
  std::size_t hash_tail() const {
    std::uint64_t h = 0;
    for (int i = 1; i <= min_len_; ++i) h = (h + at(pos_ - i) + 1) * 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(h >> 40) & table_mask_;
  }

  int min_len_;
  std::vector<std::uint32_t> table_;
  std::size_t table_mask_;
  std::vector<std::uint8_t> history_;
  std::size_t history_mask_;
  std::vector<std::uint32_t> dirty_;  // table entries written since the last reset
  bool overflowed_ = false;
  std::shared_ptr<const Image> image_;
  std::uint32_t pos_ = 0, floor_ = 0, ptr_ = 0;
  int len_ = 0;
};

}  // namespace zgen::ppm
