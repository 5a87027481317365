#include "zgen/images.hpp"

#include <algorithm>
#include <stdexcept>

namespace zgen {

bool region_inside(const GrayImage& image, const Region& r) {
  return r.width > 0 && r.height > 0 && r.x >= 0 && r.y >= 0 && r.x <= image.width - r.width &&
         r.y <= image.height - r.height;
}

GrayImage crop(const GrayImage& image, const Region& r) {
  if (!region_inside(image, r)) throw std::invalid_argument("crop: region outside the image");
  GrayImage out;
  out.width = r.width;
  out.height = r.height;
  out.pixels.resize(static_cast<std::size_t>(r.width) * static_cast<std::size_t>(r.height));
  for (int y = 0; y < r.height; ++y) {
    const auto* src = image.pixels.data() + static_cast<std::size_t>(r.y + y) * image.width + r.x;
    std::copy(src, src + r.width, out.pixels.data() + static_cast<std::size_t>(y) * r.width);
  }
  return out;
}

std::vector<Region> patch_grid(const GrayImage& image, int patch_width, int patch_height) {
  if (patch_width < 1 || patch_height < 1) throw std::invalid_argument("patch_grid: empty patch");
  std::vector<Region> out;
  for (int y = 0; y + patch_height <= image.height; y += patch_height)
    for (int x = 0; x + patch_width <= image.width; x += patch_width) out.push_back({x, y, patch_width, patch_height});
  return out;
}

}  // namespace zgen
