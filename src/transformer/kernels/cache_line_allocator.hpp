#pragma once
// An allocator for the AVX2 kernels' packed operands: memory aligned to whole 64-byte cache
// lines, so that a packed row of 16 floats is exactly one line and no vector load straddles
// two. operator new aligns to 16 bytes only, and blocks from mmap (over 128 KB) start 16 bytes
// into a page: there every other load of such a row touched two lines.
#include <cstddef>
#include <new>

namespace zgen::transformer::kernels {

template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  CacheLineAllocator() = default;
  template <typename U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, kAlign); }
  template <typename U>
  bool operator==(const CacheLineAllocator<U>&) const { return true; }
};

}  // namespace zgen::transformer::kernels
