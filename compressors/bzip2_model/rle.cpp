#include "compressors/bzip2_model/rle.hpp"

namespace zgen::bzip2 {

void write_run(const PendingRun& run, Bytes& out) {
  const int copies = run.length < 4 ? run.length : 4;
  for (int i = 0; i < copies; ++i) out.push_back(run.value);
  if (run.length >= 4) out.push_back(static_cast<std::uint8_t>(run.length - 4));
}

std::vector<Bytes> rle_blocks(ByteView data, int level) {
  std::vector<Bytes> blocks;
  const std::size_t limit = block_limit(level);
  Bytes block;
  PendingRun run;
  for (const std::uint8_t b : data) {
    if (block.size() >= limit) blocks.push_back(std::move(block)), block.clear();
    add_byte(b, run, block);
  }
  if (run.length > 0) write_run(run, block);
  if (!block.empty()) blocks.push_back(std::move(block));
  return blocks;
}

}  // namespace zgen::bzip2
