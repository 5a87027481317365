#pragma once
// Fuzz target "image": the PNG and JPEG readers (src/media/image_io.cpp, through libpng and
// libjpeg with their error handlers that longjmp), and the png compressor's decoder
// (compressors/png.cpp: 64-wide grayscale PNGs with a private padding chunk).
//
// The outcome is the image reader's. An image it accepts has the size it claims; a stream the
// png compressor decodes must survive being compressed and decoded again (up to 4 KB of it).
#include <string>

#include "fuzz/fuzz_common.hpp"
#include "zgen/compressor.hpp"
#include "zgen/images.hpp"

namespace zgen::fuzz {

inline Outcome fuzz_image(ByteView input) {
  static const auto png = make_compressor("png");
  (void)outcome_of([&] {
    const Bytes pixels = png->decompress(input);
    if (pixels.size() <= 4096)
      check(png->decompress(png->compress(pixels)) == pixels, "png's round trip changed the bytes");
  });
  return outcome_of([&] {
    const GrayImage image = decode_gray_image(input, "fuzz input");
    check(image.width > 0 && image.height > 0 &&
              image.pixels.size() == static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height),
          "an image's pixels do not match its size");
  });
}

}  // namespace zgen::fuzz
