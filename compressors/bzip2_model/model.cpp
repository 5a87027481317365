#include "compressors/bzip2_model/model.hpp"

#include <cstdio>
#include <mutex>

#include <bzlib.h>

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

bool bzip2_fast_path_verified(const Compressor& bzip2) {
  static std::once_flag once;
  static bool verified = false;
  std::call_once(once, [&] {
    verified = true;
    // Text with runs of 3..260 equal bytes, and bytes from a small generator.
    std::uint64_t state = 20261205;
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{90}, std::size_t{5000}}) {
      Bytes data;
      while (data.size() < n) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        const std::size_t run = (state >> 60) == 0 ? 3 + (state >> 33) % 258 : 1;
        data.insert(data.end(), std::min(run, n - data.size()), static_cast<std::uint8_t>("the quick brown fox"[(state >> 40) % 19]));
      }
      if (bzip2_model_bits(data, 9) != bzip2.code_length_bits(data)) verified = false;
    }
    if (!verified)
      std::fprintf(stderr,
                   "zgen: warning: the bzip2 fast path differs from the linked libbz2 %s; bzip2 code lengths are "
                   "computed by recompressing (exact, slower)\n",
                   BZ2_bzlibVersion());
  });
  return verified;
}

}  // namespace zgen
