#include "zgen/errors.hpp"
#include "zgen/images.hpp"

#include <string>

namespace zgen {

std::vector<Bytes> image_patches(const GrayImage& image, const std::string& what) {
  if (image.width < kPatchWidth || image.height < kPatchHeight)
    throw UserError("'" + what + "' is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                    " pixels, smaller than one " + std::to_string(kPatchWidth) + "x" + std::to_string(kPatchHeight) +
                    " patch");
  if (image.pixels.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height))
    throw std::logic_error("GrayImage pixels do not match its width x height");
  const int across = image.width / kPatchWidth, down = image.height / kPatchHeight;
  std::vector<Bytes> patches;
  patches.reserve(static_cast<std::size_t>(across) * static_cast<std::size_t>(down));
  for (int i = 0; i < down; ++i) {
    for (int j = 0; j < across; ++j) {
      Bytes p;
      p.reserve(kChunkBytes);
      for (int y = 0; y < kPatchHeight; ++y) {
        const auto row = image.pixels.begin() +
                         static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i * kPatchHeight + y) * image.width +
                                                     static_cast<std::size_t>(j * kPatchWidth));
        p.insert(p.end(), row, row + kPatchWidth);
      }
      patches.push_back(std::move(p));
    }
  }
  return patches;
}

std::vector<Bytes> whole_chunks(ByteView data, std::size_t size) {
  if (size == 0) throw std::logic_error("whole_chunks: size 0");
  std::vector<Bytes> chunks;
  chunks.reserve(data.size() / size);
  for (std::size_t at = 0; at + size <= data.size(); at += size)
    chunks.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(at), data.begin() + static_cast<std::ptrdiff_t>(at + size));
  return chunks;
}

}  // namespace zgen
