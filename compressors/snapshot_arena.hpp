#pragma once
// Memory for a library encoder that cannot be copied, so that it can be snapshotted: liblzma and
// the brotli encoder take every byte of their state from an allocator we give them. After the
// encoder has consumed the context, take_snapshot() saves every block's bytes; restore() puts them
// back at the same addresses, so the library's internal pointers stay right, and the encoder is
// again, byte for byte, the one that had just consumed the context (xz_dict.cpp, brotli_dict.cpp).
//
// Invariant: while a snapshot exists no block is given back (the library's frees are deferred),
// so restoring the bytes gives the library exactly the memory it had at the snapshot. Blocks
// allocated after the snapshot are not referenced by the state it restores, and restore() frees
// them. This relies on the library keeping its whole state in memory from this allocator (its
// other globals constant tables), which each user's tests check against a fresh encoder.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace zgen {

class SnapshotArena {
 public:
  SnapshotArena() = default;
  SnapshotArena(const SnapshotArena&) = delete;
  SnapshotArena& operator=(const SnapshotArena&) = delete;
  ~SnapshotArena();  // frees every block: destroy the library's state first (or never)

  // The library's allocator callbacks; `opaque` is the arena.
  static void* allocate(void* opaque, std::size_t bytes);
  static void release(void* opaque, void* ptr);

  bool has_snapshot() const { return snapshot_; }
  void take_snapshot();
  void restore();
  // Lets the library give blocks back again (before its encoder is initialised anew).
  void drop_snapshot();
  // Bytes in blocks now (what restore() copies, once a snapshot is taken).
  std::size_t bytes() const;

 private:
  struct Block {
    void* memory;
    std::size_t bytes;
  };
  void forget(void* ptr);

  std::vector<Block> blocks_;
  std::vector<std::vector<std::uint8_t>> saved_;  // parallel to the first saved_.size() blocks
  bool snapshot_ = false;
  std::vector<void*> deferred_;  // given back by the library since the snapshot or the last restore
};

}  // namespace zgen
