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

class ContextSlots {
 public:
  static constexpr int kPageLines = 4096 / SlotTable::kLineBytes;  // 64
  static constexpr int kFirstLines = 13;                            // of a page's 64

  // first_bits, second_bits: log2 of the split layout's two tables' lines; the paged layout
  // has as many lines in all.
  ContextSlots(bool paged, int first_bits, int second_bits)
      : paged_(paged), first_mask_((std::size_t{1} << first_bits) - 1), second_mask_((std::size_t{1} << second_bits) - 1) {
    const std::size_t first_lines = first_mask_ + 1, second_lines = second_mask_ + 1;
    if (!paged) {
      tables_.push_back(std::make_unique<SlotTable>(first_lines));
      tables_.push_back(std::make_unique<SlotTable>(second_lines));
      return;
    }
    if ((first_lines + second_lines) % kPageLines != 0) throw std::logic_error("ppm: a paged slot table needs whole pages");
    pages_ = (first_lines + second_lines) / kPageLines;
    tables_.push_back(std::make_unique<SlotTable>(first_lines + second_lines));
  }

  std::uint8_t* first_line(std::uint64_t h) const {
    if (!paged_) return tables_[0]->line(h & first_mask_);
    return tables_[0]->line(page(h) + ((h >> 32) & 0xFFFF) % kFirstLines);
  }
  std::uint8_t* second_line(std::uint64_t h, std::uint64_t h2) const {
    if (!paged_) return tables_[1]->line(h2 & second_mask_);
    return tables_[0]->line(page(h) + kFirstLines + ((h2 >> 32) & 0xFFFF) % (kPageLines - kFirstLines));
  }

  // The slots, claimed if absent (SlotTable::claim). Never null.
  template <class Undo>
  std::uint8_t* claim_first(std::uint64_t h, Undo& undo) {
    return tables_[0]->claim(first_line(h), SlotTable::check_of(h), undo);
  }
  template <class Undo>
  std::uint8_t* claim_second(std::uint64_t h, std::uint64_t h2, Undo& undo) {
    return tables_.back()->claim(second_line(h, h2), SlotTable::check_of(h2), undo);
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

  bool paged_;
  std::size_t first_mask_, second_mask_;
  std::uint64_t pages_ = 0;
  std::vector<std::unique_ptr<SlotTable>> tables_;
};

}  // namespace zgen::ppm
