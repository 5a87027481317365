#pragma once
// The gzip fast path's guard. The deflate model (compressors/deflate/model.hpp) reproduces the
// choices of zlib 1.2.13, not of whatever zlib is linked: zlib-ng's compat library, Chromium's
// zlib or a later release may parse or split blocks otherwise, and the model's lengths would
// then silently differ from real gzip's. So the first gzip begin() in a process costs a few
// built-in inputs both ways, the model against the linked zlib (Gzip::code_length_bits), and
// if any length differs, every gzip begin() in the process recompresses instead (exact, slow)
// and one warning line goes to stderr.
#include <memory>
#include <string>
#include <vector>

#include "zgen/compressor.hpp"

namespace zgen {

// What one run of the self-check found; on a mismatch, the first difference.
struct GzipSelfCheck {
  bool matches = true;
  int level = 0;
  std::string input;  // the built-in input's name
  double model_bits = 0, zlib_bits = 0;
};

// Runs the self-check now (uncached), on the real model and the real linked zlib, at every
// level 1..9 (gzip_guard.cpp says which input at which level). With `perturbed`, the model is asked for a neighbouring level (L+1, 9 → 8): a
// stand-in for a zlib whose choices differ, which the built-in inputs must catch.
GzipSelfCheck check_gzip_fast_path(bool perturbed = false);

// The process's verdict: true when the fast path equals the linked zlib. The check runs at the
// first call (thread-safe; later calls are one atomic load) and a failure prints the warning.
bool gzip_fast_path_verified();

// The warning line (without newline) printed once when the check fails.
std::string gzip_guard_warning();

// The unguarded fast path (gzip.cpp): the deflate model's state after `context`.
std::unique_ptr<CodeLengthState> gzip_model_state(int level, ByteView context);

// zlib's memory, kept and handed out again to the next stream. What zlib computes never depends
// on what its memory held before (it zeroes its window past the data; else its output would vary
// with malloc's reuse), so the lengths are those of fresh memory; but fresh pages for each of
// the check's streams can cost more than the compression (page faults, freed pages given back).
// The bzip2 fast path keeps libbz2's memory in one too (compressors/bzip2.cpp).
class ZlibMemoryPool {
 public:
  ZlibMemoryPool() = default;
  ZlibMemoryPool(const ZlibMemoryPool&) = delete;
  ZlibMemoryPool& operator=(const ZlibMemoryPool&) = delete;
  ~ZlibMemoryPool();
  void* allocate(std::size_t bytes);  // nullptr when out of memory, as zlib expects
  void release(void* memory);

 private:
  struct Block {
    void* memory;
    std::size_t bytes;
    bool in_use;
  };
  std::vector<Block> blocks_;
};

// Gzip::code_length_bits at `level` (gzip.cpp), the same code, with zlib's memory from `pool`
// (nullptr: malloc and free).
double gzip_code_length_bits(int level, ByteView data, ZlibMemoryPool* pool);

// Tests only, while no other thread is in begin(): forget the verdict, so that the next begin()
// checks again, against the perturbed model when `perturbed`.
void reset_gzip_guard_for_testing(bool perturbed);

}  // namespace zgen
