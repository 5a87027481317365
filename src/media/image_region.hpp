#pragma once
// Rectangles of a grayscale image: crops, and where the protocol's patches lie (src/media/patches.hpp
// cuts the same patches out as bytes: 64 wide × 32 high, in raster order over the image, the
// partial ones at the right and bottom edges dropped).
#include <vector>

#include "src/media/gray_image.hpp"
#include "src/media/patches.hpp"

namespace zgen {

struct Region {
  int x = 0, y = 0, width = 0, height = 0;
};

// True when the region is non-empty and lies wholly inside the image.
bool region_inside(const GrayImage& image, const Region& region);

// The region's pixels, row-major (region_inside must hold; std::invalid_argument otherwise).
GrayImage crop(const GrayImage& image, const Region& region);

// Every whole patch of the image, in the order of image_patches (none when the image is smaller
// than a patch).
std::vector<Region> patch_grid(const GrayImage& image, int patch_width = kPatchWidth, int patch_height = kPatchHeight);

}  // namespace zgen
