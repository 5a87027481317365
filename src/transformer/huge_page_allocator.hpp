#pragma once
// An allocator for the transformer's large buffers (activations, gradient scratch: hundreds of
// MB, walked in strided patterns: a head's columns of qkv rows 1.5 KB apart, whole layers per
// pass). Blocks of 4 MB and more are aligned to 2 MB and marked MADV_HUGEPAGE before they are
// first touched, so that Linux backs them with transparent huge pages where it allows them
// only on request (/sys/kernel/mm/transparent_hugepage/enabled = madvise, Debian's default):
// one TLB entry per 2 MB instead of per 4 KB. Smaller blocks come from operator new. Where
// the kernel refuses, the memory is ordinary pages: nothing else changes.
//
// Smaller blocks are aligned to 64 bytes, so that every block starts on the same boundary
// whatever the heap held before: Eigen's vectorised loops (GELU's tanh, softmax's exp and sum)
// treat the elements before the first aligned one apart, with other rounding, so the bits of a
// forward pass depended on where its activations lay. operator new's 16 bytes gave a first
// model in a process (its buffer from a fresh mmap, 16 bytes past a page) other bits than a
// later one of the same shape (its buffer from the heap): training through the library was not
// reproducible within one process.
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace zgen::transformer {

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t{1} << 21;  // 2 MB
  static constexpr std::size_t kMinBytes = 2 * kHugePage;
  static constexpr std::align_val_t kSmallAlign{64};  // a cache line; AVX-512's vector

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kMinBytes) return static_cast<T*>(::operator new(bytes, kSmallAlign));
    const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (!p) throw std::bad_alloc();
    madvise(p, rounded, MADV_HUGEPAGE);  // advice only: a refusal leaves ordinary pages
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) {
    if (n * sizeof(T) < kMinBytes) ::operator delete(p, kSmallAlign);
    else std::free(p);
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const { return true; }
};

}  // namespace zgen::transformer
