#pragma once
// 8-bit grayscale images: what zgen's image work (patches, completion, the image column of
// `zgen bench`) sees of a photo. Colour photos become the mean of their channels (the paper's
// protocol, ../shared/data/README.md); alpha is dropped.
#include <cstdint>
#include <string>
#include <vector>

#include "zgen/bytes.hpp"

namespace zgen {

struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // (height, width), row-major; size() == width·height
};

// Reads a PNG or JPEG (recognised by its signature, not its name) as grayscale: the rounded mean
// of R, G and B (16-bit PNG samples are scaled to 8 bits first). Throws UserError with a one-line
// message for a missing, truncated, corrupt or unsupported file.
GrayImage read_gray_image(const std::string& path);
// The same from a file's bytes; `what` names the source in messages (read_gray_image passes the path).
GrayImage decode_gray_image(ByteView data, const std::string& what);

// Writes an 8-bit grayscale PNG (atomically: a temporary file renamed on success).
void write_gray_png(const std::string& path, const GrayImage& image);

}  // namespace zgen
