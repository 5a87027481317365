#include "compressors/snapshot_arena.hpp"

#include <cstdlib>
#include <cstring>

namespace zgen {

SnapshotArena::~SnapshotArena() {
  for (const Block& b : blocks_) std::free(b.memory);
}

void* SnapshotArena::allocate(void* opaque, std::size_t bytes) {
  auto* arena = static_cast<SnapshotArena*>(opaque);
  void* p = std::malloc(bytes > 0 ? bytes : 1);
  if (p) arena->blocks_.push_back({p, bytes});
  return p;
}

void SnapshotArena::release(void* opaque, void* ptr) {
  auto* arena = static_cast<SnapshotArena*>(opaque);
  if (!ptr) return;
  if (arena->snapshot_)
    arena->deferred_.push_back(ptr);
  else
    arena->forget(ptr);
}

void SnapshotArena::take_snapshot() {
  saved_.resize(blocks_.size());
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const auto* p = static_cast<const std::uint8_t*>(blocks_[i].memory);
    saved_[i].assign(p, p + blocks_[i].bytes);
  }
  snapshot_ = true;
}

void SnapshotArena::restore() {
  while (blocks_.size() > saved_.size()) {
    std::free(blocks_.back().memory);
    blocks_.pop_back();
  }
  for (std::size_t i = 0; i < saved_.size(); ++i)
    if (!saved_[i].empty()) std::memcpy(blocks_[i].memory, saved_[i].data(), saved_[i].size());
  deferred_.clear();  // the restored state holds every snapshot block again
}

void SnapshotArena::drop_snapshot() {
  snapshot_ = false;
  for (void* p : deferred_) forget(p);
  deferred_.clear();
}

std::size_t SnapshotArena::bytes() const {
  std::size_t n = 0;
  for (const Block& b : blocks_) n += b.bytes;
  return n;
}

void SnapshotArena::forget(void* ptr) {
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    if (blocks_[i].memory != ptr) continue;
    std::free(ptr);
    blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(i));
    return;
  }
}

}  // namespace zgen
