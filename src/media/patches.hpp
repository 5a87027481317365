#pragma once
// Cutting data into the paper's fixed-size pieces: images into 64-wide × 32-high patches,
// byte streams (text, audio) into 2048-byte chunks. Both give pieces of kChunkBytes bytes.
#include <cstddef>
#include <string>
#include <vector>

#include "src/media/gray_image.hpp"
#include "zgen/bytes.hpp"

namespace zgen {

inline constexpr int kPatchWidth = 64;
inline constexpr int kPatchHeight = 32;
inline constexpr std::size_t kChunkBytes = std::size_t{kPatchWidth} * kPatchHeight;  // 2048

// The image's non-overlapping patches, in row-major order over the image (left to right, then
// top to bottom); each is (32, 64) row-major, kChunkBytes bytes. The partial patches at the
// right and bottom edges are dropped: patch (i, j) covers rows 32·i .. 32·i + 31 and columns
// 64·j .. 64·j + 63, for i < height / 32 and j < width / 64.
// Throws UserError (naming `what`, e.g. the file) when the image is smaller than one patch.
std::vector<Bytes> image_patches(const GrayImage& image, const std::string& what);

// Consecutive `size`-byte pieces of `data`; a final piece shorter than `size` is dropped
// (every chunk has exactly `size` bytes). size > 0.
std::vector<Bytes> whole_chunks(ByteView data, std::size_t size = kChunkBytes);

}  // namespace zgen
