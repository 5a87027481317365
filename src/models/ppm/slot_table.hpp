#pragma once
// SlotTable: hashed storage of bit histories for one context of the model.
//
// A slot is 16 bytes: a 1-byte check (never 0; 0 marks an empty slot) and 15 bit-history
// states, one per node of a 4-bit tree (root, 2, 4, 8 nodes). A context (say "the last 6
// bytes") claims one slot for the first nibble of the next byte and, after 4 bits, one
// slot for "context + first nibble" in a second table or in other lines of the same one
// (slot_layout.hpp). Keeping the two nibbles apart (and each context in its own tables)
// means that within one byte a lookup can only evict slots that the same byte will not read
// again: that is what lets log_probs() read all 16 second-nibble slots without claiming them
// and still see exactly what the coding path will see.
//
// Slots come in lines of 4 (one 64-byte cache line). A lookup is given a line (which line a
// context hashes to is the layout's choice: slot_layout.hpp), returns the slot with the
// matching check, or else claims the slot whose root state has seen the fewest bits (an
// empty slot first), zeroing it. An 8-bit check lets ~1.5% of new
// contexts alias an old one; that costs a little compression, never correctness.
//
// Reset must be cheap (a chunked run resets ~380 times) and returns the table to its
// primed image (the slots learned from the built-in primer, shared by all instances):
// every slot handed out by claim() since the last reset is listed, and reset rewrites
// just those from the image (or zeroes them); once the list exceeds 1/8 of the table (and
// 4096 entries, two chunks' worth) it is dropped and reset rewrites the whole table instead.
#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include "src/models/ppm/state_table.hpp"
#include "src/models/ppm/undo_log.hpp"
#include "src/models/ppm/zeroed_pages.hpp"

namespace zgen::ppm {

// Nonzero slots of a table, sorted by slot index: what reset() returns the table to.
// A chunked run restores thousands of slots per reset, so finding a slot's image is O(1):
// a bitmap of the slots present and, per 64-slot word, how many are present before it
// (rank); the slot's entry is rank + the set bits below it in its word.
class SlotImage {
 public:
  // slots: the table's; present: how many of them will be added (capacity, reserved once).
  SlotImage(std::size_t slots, std::size_t present) : present_((slots + 63) / 64, 0), rank_(present_.size() + 1, 0) {
    index.reserve(present);
    bytes.reserve(present);
  }

  // Slots must be added in increasing order.
  void add(std::uint32_t slot, const std::uint8_t* bytes) {
    present_[slot / 64] |= std::uint64_t{1} << (slot % 64);
    ++rank_[slot / 64 + 1];
    index.push_back(slot);
    this->bytes.emplace_back();
    std::memcpy(this->bytes.back().data(), bytes, 16);
  }
  // Once all slots are added: rank_[w] = slots present in words 0 .. w − 1.
  void finish() {
    for (std::size_t w = 1; w < rank_.size(); ++w) rank_[w] += rank_[w - 1];
  }
  // The image of slot s, or nullptr if the image has none (an empty slot).
  const std::uint8_t* find(std::uint32_t s) const {
    const std::uint64_t word = present_[s / 64];
    const std::uint64_t bit = std::uint64_t{1} << (s % 64);
    if (!(word & bit)) return nullptr;
    return bytes[rank_[s / 64] + static_cast<std::size_t>(__builtin_popcountll(word & (bit - 1)))].data();
  }

  std::vector<std::uint32_t> index;                 // slots present, increasing
  std::vector<std::array<std::uint8_t, 16>> bytes;  // their bytes, in the same order

 private:
  std::vector<std::uint64_t> present_;  // bit s: slot s is in the image
  std::vector<std::uint32_t> rank_;
};

class SlotTable {
 public:
  static constexpr int kSlotBytes = 16;
  static constexpr int kSlotsPerLine = 4;

  static constexpr int kLineBytes = kSlotBytes * kSlotsPerLine;

  explicit SlotTable(std::size_t lines) : lines_(lines), pages_(lines_ * kLineBytes), data_(pages_.data()) {
    dirty_.reserve(1024);
  }
  SlotTable(const SlotTable&) = delete;
  SlotTable& operator=(const SlotTable&) = delete;

  // Line i (< lines()): where the layout looks a context up.
  std::uint8_t* line(std::size_t i) const { return data_ + i * kLineBytes; }
  // A context's check byte, from its hash (never 0: 0 marks an empty slot).
  static std::uint8_t check_of(std::uint64_t h) {
    const auto c = static_cast<std::uint8_t>(h >> 56);
    return c ? c : 1;
  }

  // The slot with `check` in `line` (one of this table's), claimed if absent. Never null.
  // The evicted slot's bytes are saved in `undo` first. A tentative claim (UndoLog: rolled
  // back before anything else reads the table) is not marked dirty: after its rollback the
  // table holds what it held before.
  template <class Undo>
  [[gnu::always_inline]] std::uint8_t* claim(std::uint8_t* line, std::uint8_t check, Undo& undo) {
    constexpr bool kTentative = !std::is_same_v<Undo, NoUndo>;
    const StateTable& st = StateTable::instance();
    int victim = 0, victim_count = 1 << 30;
    for (int i = 0; i < kSlotsPerLine; ++i) {
      std::uint8_t* slot = line + i * kSlotBytes;
      if (slot[0] == check) return kTentative ? slot : mark_dirty(slot);
      const int count = slot[0] == 0 ? -1 : st.count(slot[1]);
      if (count < victim_count) victim = i, victim_count = count;
    }
    std::uint8_t* slot = line + victim * kSlotBytes;
    undo.save(slot, kSlotBytes);
    std::memset(slot, 0, kSlotBytes);
    slot[0] = check;
    return kTentative ? slot : mark_dirty(slot);
  }

  // The slot with `check` in `line` if present, else nullptr (reads as all-zero states).
  // Claims nothing: what claim() would return holds the same states.
  static std::uint8_t* find(std::uint8_t* line, std::uint8_t check) {
    for (int i = 0; i < kSlotsPerLine; ++i)
      if (line[i * kSlotBytes] == check) return line + i * kSlotBytes;
    return nullptr;
  }

  // Back to the image (empty if none was installed).
  void reset() {
    if (overflowed_) {
      // A table never claimed from is still all zero: skip rewriting (and so touching)
      // every page of it; install() on a new table is the common case.
      if (!zero_) std::memset(data_, 0, lines_ * kLineBytes);
      if (image_)
        for (std::size_t i = 0; i < image_->index.size(); ++i)
          std::memcpy(data_ + std::size_t{image_->index[i]} * kSlotBytes, image_->bytes[i].data(), kSlotBytes);
      zero_ = !image_ || image_->index.empty();
      overflowed_ = false;
    } else {
      for (std::uint32_t s : dirty_) restore_slot(s);
    }
    dirty_.clear();
  }

  // The nonzero slots, for an image (counted first: the image holds about a million slots
  // after priming, and growing it by doubling moved them several times).
  SlotImage capture() const {
    const std::size_t slots = lines_ * kSlotsPerLine;
    std::size_t present = 0;
    for (std::size_t s = 0; s < slots; ++s) present += data_[s * kSlotBytes] != 0;
    SlotImage image(slots, present);
    for (std::size_t s = 0; s < slots; ++s) {
      const std::uint8_t* p = data_ + s * kSlotBytes;
      if (p[0] != 0) image.add(static_cast<std::uint32_t>(s), p);
    }
    image.finish();
    return image;
  }

  // Makes `image` the state that reset() returns to, and resets.
  void install(std::shared_ptr<const SlotImage> image) {
    image_ = std::move(image);
    overflowed_ = true;
    reset();
  }
  // The same for a table that holds exactly `image` already (captured from it, nothing
  // claimed since): nothing is rewritten, so its pages need not be zeroed and filled again.
  void adopt(std::shared_ptr<const SlotImage> image) {
    image_ = std::move(image);
    overflowed_ = false;
    zero_ = image_->index.empty();
    dirty_.clear();
  }

 private:
  std::uint8_t* mark_dirty(std::uint8_t* slot) {
    zero_ = false;
    if (!overflowed_) {
      if (dirty_.size() >= std::max<std::size_t>(lines_ * kSlotsPerLine / 8, 4096)) {
        overflowed_ = true;
        dirty_.clear();
        dirty_.shrink_to_fit();
      } else {
        dirty_.push_back(static_cast<std::uint32_t>((slot - data_) / kSlotBytes));
      }
    }
    return slot;
  }
  void restore_slot(std::uint32_t s) {
    std::uint8_t* p = data_ + std::size_t{s} * kSlotBytes;
    if (image_) {
      if (const std::uint8_t* b = image_->find(s)) {
        std::memcpy(p, b, kSlotBytes);
        return;
      }
    }
    std::memset(p, 0, kSlotBytes);
  }
  std::size_t lines_;
  ZeroedPages pages_;  // zeroed; huge pages where possible (zeroed_pages.hpp says why)
  std::uint8_t* data_;
  std::vector<std::uint32_t> dirty_;  // slots handed out since the last reset (may repeat)
  bool overflowed_ = false;           // dirty_ gave up: reset rewrites everything
  bool zero_ = true;                  // nothing written since construction (tentative claims roll back)
  std::shared_ptr<const SlotImage> image_;
};

}  // namespace zgen::ppm
