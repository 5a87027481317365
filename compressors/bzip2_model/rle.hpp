#pragma once
// bzip2's first stage: the run-length coding of the input into blocks, as libbz2 1.0.x does it.
//
// Runs of one byte value are cut at 255; a run of 1..3 is written as itself, a run of 4..255 as
// four copies followed by one byte holding the length minus 4. A run is written only when the
// next byte ends it (or the input ends), so the run in progress belongs to no block yet.
// A block is closed (the run in progress carried over to the next block) when, before a byte is
// read, it holds block_limit bytes or more and input remains; the last block also receives the run
// in progress. block_limit is libbz2's nblockMAX, 100000·L − 19 for bzip2:L.
#include <cstdint>
#include <vector>

#include "zgen/bytes.hpp"

namespace zgen::bzip2 {

inline std::size_t block_limit(int level) { return static_cast<std::size_t>(level) * 100000 - 19; }

// The run in progress: `value` repeated `length` times (length 0: none yet).
struct PendingRun {
  std::uint8_t value = 0;
  int length = 0;
};

// Appends the coded form of `run` (1..5 bytes) to `out`.
void write_run(const PendingRun& run, Bytes& out);

// Reads `byte` into the run in progress, writing the previous run to `out` when it ends.
inline void add_byte(std::uint8_t byte, PendingRun& run, Bytes& out) {
  if (run.length > 0 && byte == run.value && run.length < 255) {
    ++run.length;
    return;
  }
  if (run.length > 0) write_run(run, out);
  run.value = byte;
  run.length = 1;
}

// The blocks of `data` after the first stage (none for empty input).
std::vector<Bytes> rle_blocks(ByteView data, int level);

}  // namespace zgen::bzip2
