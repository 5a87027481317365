#include "src/cli/draw/image_grid.hpp"

#include <algorithm>
#include <stdexcept>

#include "src/cli/draw/bitmap_font.hpp"

namespace zgen {
namespace {

constexpr int kFrame = 1;  // frame line width around each tile, in output pixels

void fill_rect(GrayImage& image, int x0, int y0, int w, int h, std::uint8_t value) {
  const int x1 = std::min(image.width, x0 + w), y1 = std::min(image.height, y0 + h);
  for (int y = std::max(0, y0); y < y1; ++y)
    for (int x = std::max(0, x0); x < x1; ++x) image.pixels[static_cast<std::size_t>(y) * image.width + x] = value;
}

// Copies `tile` upscaled by `scale` with its top-left corner at (x0, y0); the caller has made room.
void blit_scaled(GrayImage& image, const GrayImage& tile, int x0, int y0, int scale) {
  for (int y = 0; y < tile.height * scale; ++y) {
    const std::uint8_t* src = tile.pixels.data() + static_cast<std::size_t>(y / scale) * tile.width;
    std::uint8_t* dst = image.pixels.data() + static_cast<std::size_t>(y0 + y) * image.width + x0;
    for (int x = 0; x < tile.width * scale; ++x) dst[x] = src[x / scale];
  }
}

}  // namespace

std::string shorten_label(const std::string& label) {
  if (label.size() <= kMaxLabelChars) return label;
  const std::size_t head = (kMaxLabelChars - 2) / 2, tail = kMaxLabelChars - 2 - head;
  return label.substr(0, head) + ".." + label.substr(label.size() - tail);
}

void draw_text(GrayImage& image, int x, int y, std::string_view text, int scale, std::uint8_t ink) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto rows = glyph_rows(text[i]);
    const int gx = x + static_cast<int>(i) * kGlyphAdvance * scale;
    for (int r = 0; r < kGlyphHeight; ++r)
      for (int c = 0; c < kGlyphWidth; ++c)
        if (rows[static_cast<std::size_t>(r)] >> (kGlyphWidth - 1 - c) & 1)
          fill_rect(image, gx + c * scale, y + r * scale, scale, scale, ink);
  }
}

GrayImage compose_grid(const std::vector<GridTile>& tiles, const GridOptions& options) {
  if (tiles.empty()) throw std::invalid_argument("compose_grid: no tiles");
  if (options.columns < 1 || options.scale < 1 || options.text_scale < 1 || options.margin < 0)
    throw std::invalid_argument("compose_grid: options out of range");
  int tile_w = 0, tile_h = 0, label_w = 0;
  for (const auto& t : tiles) {
    if (t.image.width < 1 || t.image.height < 1 ||
        t.image.pixels.size() != static_cast<std::size_t>(t.image.width) * static_cast<std::size_t>(t.image.height))
      throw std::invalid_argument("compose_grid: empty or inconsistent tile");
    tile_w = std::max(tile_w, t.image.width * options.scale);
    tile_h = std::max(tile_h, t.image.height * options.scale);
    label_w = std::max(label_w, text_width(shorten_label(t.label), options.text_scale));
  }
  const int gap = 3 * options.text_scale;  // between a tile's frame and its label
  const int cell_w = std::max(tile_w + 2 * kFrame, label_w);
  const int cell_h = tile_h + 2 * kFrame + gap + kGlyphHeight * options.text_scale;
  const int columns = std::min<int>(options.columns, static_cast<int>(tiles.size()));
  const int rows = (static_cast<int>(tiles.size()) + columns - 1) / columns;

  GrayImage grid;
  grid.width = options.margin + columns * (cell_w + options.margin);
  grid.height = options.margin + rows * (cell_h + options.margin);
  grid.pixels.assign(static_cast<std::size_t>(grid.width) * static_cast<std::size_t>(grid.height), options.background);
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const GridTile& t = tiles[i];
    const int cell_x = options.margin + static_cast<int>(i) % columns * (cell_w + options.margin);
    const int cell_y = options.margin + static_cast<int>(i) / columns * (cell_h + options.margin);
    const int w = t.image.width * options.scale, h = t.image.height * options.scale;
    const int x = cell_x + (cell_w - w) / 2, y = cell_y + kFrame;
    fill_rect(grid, x - kFrame, y - kFrame, w + 2 * kFrame, h + 2 * kFrame, options.ink);
    blit_scaled(grid, t.image, x, y, options.scale);
    const std::string label = shorten_label(t.label);
    draw_text(grid, cell_x + (cell_w - text_width(label, options.text_scale)) / 2, y + h + kFrame + gap, label,
              options.text_scale, options.ink);
  }
  return grid;
}

}  // namespace zgen
