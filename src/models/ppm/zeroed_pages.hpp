#pragma once
// ZeroedPages: a large zero-filled block for the model's hashed tables, on 2 MB pages
// where the OS allows it.
//
// Why: ppm:6 keeps ~110 MB of slot tables and reads them at random, one cache line per
// context per nibble. On 4 KB pages every such read is a TLB miss, and the first touch of
// each page costs two faults (a read maps the shared zero page, the write then copies it,
// flushing the TLB): measured on sotu-valid, about a third of ppm:6's compress time went
// to the kernel. Transparent huge pages (Linux, madvise mode is the common default) cut
// both by 512×. Elsewhere, or if the mapping fails, it is calloc: zeroed, untouched pages
// still cost nothing until used. Contents are the same either way: only speed depends on it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace zgen::ppm {

class ZeroedPages {
 public:
  explicit ZeroedPages(std::size_t bytes) : bytes_(bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= kHuge) {
      // Over-allocate by one huge page so the block can start on a 2 MB boundary (the
      // kernel backs only aligned 2 MB ranges with huge pages).
      mapped_ = bytes + kHuge;
      void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p != MAP_FAILED) {
        map_ = static_cast<std::uint8_t*>(p);
        const auto addr = reinterpret_cast<std::uintptr_t>(map_);
        data_ = map_ + ((kHuge - addr % kHuge) % kHuge);
        madvise(data_, bytes, MADV_HUGEPAGE);  // advice only: failure leaves 4 KB pages
#if defined(MADV_POPULATE_WRITE)
        // Mapped writable now, in one call (Linux 5.14+; older kernels ignore it), not one or
        // two faults per page on first touch: priming touches nearly every page anyway. Set-up
        // of ppm3:6 0.21 → 0.175 CPU s (BENCHMARKS.md, "ppm3"); the same RSS.
        madvise(data_, bytes, MADV_POPULATE_WRITE);
#endif
        return;
      }
      mapped_ = 0;
    } else if (bytes >= kPopulate) {
      // Below a huge page: 4 KB pages, all written sooner or later (the tables are hashed).
      // Faulting them in one by one costs two faults each (a read maps the zero page, the
      // write copies it and flushes the TLB), which ppm2's 1 MB first-nibble tables paid
      // per page; MAP_POPULATE maps them writable in one call.
      mapped_ = bytes;
      void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
      if (p != MAP_FAILED) {
        map_ = data_ = static_cast<std::uint8_t*>(p);
        return;
      }
      mapped_ = 0;
    }
#endif
    data_ = static_cast<std::uint8_t*>(std::calloc(bytes, 1));
    if (!data_) throw std::bad_alloc();
  }
  ~ZeroedPages() { release(); }
  ZeroedPages(const ZeroedPages&) = delete;
  ZeroedPages& operator=(const ZeroedPages&) = delete;
  ZeroedPages(ZeroedPages&& o) noexcept { take(o); }
  ZeroedPages& operator=(ZeroedPages&& o) noexcept {
    if (this != &o) {
      release();
      take(o);
    }
    return *this;
  }

  std::uint8_t* data() const { return data_; }
  std::size_t size() const { return bytes_; }

 private:
  void release() {
#if defined(__linux__)
    if (map_) munmap(map_, mapped_);
    else
#endif
      std::free(data_);
    data_ = map_ = nullptr;
  }
  void take(ZeroedPages& o) {
    bytes_ = o.bytes_, data_ = o.data_, map_ = o.map_, mapped_ = o.mapped_;
    o.data_ = o.map_ = nullptr;
    o.bytes_ = o.mapped_ = 0;
  }

  static constexpr std::size_t kHuge = std::size_t{2} << 20;
  static constexpr std::size_t kPopulate = std::size_t{64} << 10;
  std::size_t bytes_ = 0;
  std::uint8_t* data_ = nullptr;
  std::uint8_t* map_ = nullptr;  // the mapping when mmap'd (data_ lies inside it)
  std::size_t mapped_ = 0;
};

}  // namespace zgen::ppm
