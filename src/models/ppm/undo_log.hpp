#pragma once
// Undo log: lets log_probs() walk the whole bit tree of the next byte, updating the
// model along each path exactly as the coding path would (so the 256-way distribution
// equals the product of the coding path's bit probabilities), and then put every byte
// it changed back. Components take the log as a template parameter: the coding path
// passes NoUndo, which compiles to nothing.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace zgen::ppm {

struct NoUndo {
  void save(void*, std::size_t) {}
};

class UndoLog {
 public:
  // Remember n bytes at p before they change.
  void save(void* p, std::size_t n) {
    entries_.push_back({p, n, bytes_.size()});
    const auto* b = static_cast<const std::uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  std::size_t mark() const { return entries_.size(); }
  // Restore everything saved since `mark`, newest first (a location saved twice ends
  // with its oldest value).
  void rollback(std::size_t mark) {
    while (entries_.size() > mark) {
      const Entry& e = entries_.back();
      std::memcpy(e.p, bytes_.data() + e.offset, e.n);
      bytes_.resize(e.offset);
      entries_.pop_back();
    }
  }

 private:
  struct Entry {
    void* p;
    std::size_t n, offset;
  };
  std::vector<Entry> entries_;
  std::vector<std::uint8_t> bytes_;
};

}  // namespace zgen::ppm
