#include "compressors/bzip2_model/model.hpp"

#include "compressors/bzip2_model/entropy.hpp"
#include "compressors/bzip2_model/rle.hpp"
#include "compressors/bzip2_model/sort.hpp"

namespace zgen {
namespace bzip2 {

// "BZh" and the level digit; at the end, the 48-bit end-of-stream magic and the combined CRC.
constexpr std::uint64_t kStreamHeaderBits = 32, kStreamTrailerBits = 48 + 32;

std::uint64_t block_bits_from_scratch(ByteView block) {
  InUse in_use{};
  for (const std::uint8_t b : block) in_use[b] = true;
  const std::vector<std::int32_t> order = sort_rotations(block);
  MtfSymbols mtf;
  MtfCoder coder;
  coder.start(in_use, mtf);
  const std::size_t n = block.size();
  for (const std::int32_t r : order) coder.feed(block[r == 0 ? n - 1 : static_cast<std::size_t>(r - 1)]);
  coder.finish();
  HuffmanScratch scratch;
  return block_bits(mtf, in_use, scratch);
}

}  // namespace bzip2

double bzip2_model_bits(ByteView data, int level) {
  std::uint64_t bits = bzip2::kStreamHeaderBits + bzip2::kStreamTrailerBits;
  for (const Bytes& block : bzip2::rle_blocks(data, level)) bits += bzip2::block_bits_from_scratch(block);
  return static_cast<double>(bits);
}

}  // namespace zgen
