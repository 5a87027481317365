#pragma once
// ContextSlots: where one context keeps its slots (slot_table.hpp) for both nibbles of a
// byte. The context's hash h picks the first nibble's slot, h2 = second_nibble_hash(h, high
// nibble) the second nibble's. Two layouts; a model version fixes its layout, since the
// layout decides which contexts collide, hence the bits:
//  - split (ppm:N, ppm2:N): a first-nibble table of 2^first_bits lines and a second-nibble
//    table of 2^second_bits lines, the line chosen by the low bits of h and of h2. A byte's
//    two lookups for a context land in two unrelated 4 KB pages.
//  - paged (ppm3:N): one table of the same size in 4 KB pages of 64 lines. h picks a page;
//    the first-nibble slot is in one of the page's first 13 lines (by h), each of the 16
//    second-nibble slots in one of its other 51 (by h2). A byte's two lookups for a context
//    land in one page: one page walk instead of two, and the second nibble's two candidate
//    lines can be fetched a bit ahead for the price of two cache lines (BENCHMARKS.md,
//    "ppm3"). 13 : 51 is about the split layout's 1 : 4.
// In both, a first-nibble lookup never evicts a second-nibble slot nor the reverse, which
// log_probs relies on (slot_table.hpp).
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "src/models/ppm/slot_table.hpp"

namespace zgen::ppm {

template <bool Paged>
class ContextSlots {
 public:
  static constexpr int kPageLines = 4096 / SlotTable::kLineBytes;  // 64
  static constexpr int kFirstLines = 13;                            // of a page's 64

  // first_bits, second_bits: log2 of the split layout's two tables' lines; the paged layout
  // has as many lines in all.
  ContextSlots(int first_bits, int second_bits)
      : first_mask_((std::size_t{1} << first_bits) - 1), second_mask_((std::size_t{1} << second_bits) - 1) {
    const std::size_t first_lines = first_mask_ + 1, second_lines = second_mask_ + 1;
    if constexpr (Paged) {
      if ((first_lines + second_lines) % kPageLines != 0) throw std::logic_error("ppm: a paged slot table needs whole pages");
      pages_ = (first_lines + second_lines) / kPageLines;
      tables_.push_back(std::make_unique<SlotTable>(first_lines + second_lines));
    } else {
      tables_.push_back(std::make_unique<SlotTable>(first_lines));
      tables_.push_back(std::make_unique<SlotTable>(second_lines));
    }
    first_ = tables_.front().get();
    second_ = tables_.back().get();
    first_data_ = first_->line(0);
    second_data_ = second_->line(0);
  }

  std::uint8_t* first_line(std::uint64_t h) const {
    if constexpr (Paged) return first_data_ + (page(h) + ((h >> 32) & 0xFFFF) % kFirstLines) * SlotTable::kLineBytes;
    else return first_data_ + (h & first_mask_) * SlotTable::kLineBytes;
  }
  std::uint8_t* second_line(std::uint64_t h, std::uint64_t h2) const {
    if constexpr (Paged)
      return second_data_ +
             (page(h) + kFirstLines + ((h2 >> 32) & 0xFFFF) % (kPageLines - kFirstLines)) * SlotTable::kLineBytes;
    else return second_data_ + (h2 & second_mask_) * SlotTable::kLineBytes;
  }

  // The slots, claimed if absent (SlotTable::claim), in the line first_line(h) or
  // second_line(h, h2) gave (the caller computed it to fetch it). Never null. Always inlined,
  // as the claim itself: a claim per context per nibble, and GCC otherwise stops inlining one
  // level short (ppm2:6 +3% instructions, callgrind).
  template <class Undo>
  [[gnu::always_inline]] std::uint8_t* claim_first(std::uint8_t* line, std::uint64_t h, Undo& undo) {
    return first_->claim(line, SlotTable::check_of(h), undo);
  }
  template <class Undo>
  [[gnu::always_inline]] std::uint8_t* claim_second(std::uint8_t* line, std::uint64_t h2, Undo& undo) {
    return second_->claim(line, SlotTable::check_of(h2), undo);
  }
  // The second-nibble slot if present, else nullptr; claims nothing.
  std::uint8_t* find_second(std::uint64_t h, std::uint64_t h2) const {
    return SlotTable::find(second_line(h, h2), SlotTable::check_of(h2));
  }

  // The tables, for reset and the primed image: split, the first then the second nibble's;
  // paged, one.
  const std::vector<std::unique_ptr<SlotTable>>& tables() const { return tables_; }

 private:
  // The first line of h's page (the low 32 bits of h scaled to the page count).
  std::size_t page(std::uint64_t h) const { return static_cast<std::size_t>(((h & 0xFFFFFFFFu) * pages_) >> 32) * kPageLines; }

  std::size_t first_mask_, second_mask_;
  std::uint64_t pages_ = 0;
  std::vector<std::unique_ptr<SlotTable>> tables_;  // split: first, second; paged: one
  // The tables holding each nibble's slots (paged: the same one) and their line 0; the
  // SlotTables stay where they are when a ContextSlots moves.
  SlotTable* first_ = nullptr;
  SlotTable* second_ = nullptr;
  std::uint8_t* first_data_ = nullptr;
  std::uint8_t* second_data_ = nullptr;
};

}  // namespace zgen::ppm
