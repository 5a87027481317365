#pragma once
// A labelled grid of grayscale images composed into one image (for `zgen complete-image` and
// `zgen sample-patches`): each tile is upscaled by an integer factor, framed by a 1-pixel line,
// and labelled underneath with the built-in 5×7 font (src/cli/draw/bitmap_font.hpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zgen/images.hpp"

namespace zgen {

struct GridTile {
  GrayImage image;    // at least 1×1
  std::string label;  // drawn under the tile; labels longer than kMaxLabelChars are shortened
};

struct GridOptions {
  int columns = 1;             // tiles per grid row, ≥ 1; the tiles fill rows left to right
  int scale = 1;               // each tile pixel becomes scale×scale pixels, ≥ 1
  int text_scale = 1;          // each font pixel becomes text_scale×text_scale pixels, ≥ 1
  int margin = 8;              // background pixels around the grid and between cells
  std::uint8_t background = 255;
  std::uint8_t ink = 0;        // labels and frames
};

inline constexpr std::size_t kMaxLabelChars = 44;

// Every cell has the size of the largest scaled tile (plus frame) or the widest label, whichever
// is wider; a tile sits centred at the top of its cell, its label centred below it.
// Throws std::invalid_argument for no tiles, an empty tile or options out of range (a bug).
GrayImage compose_grid(const std::vector<GridTile>& tiles, const GridOptions& options);

// Draws `text` with its top-left corner at (x, y); pixels outside the image are skipped.
void draw_text(GrayImage& image, int x, int y, std::string_view text, int scale, std::uint8_t ink);

// The label as drawn: shortened to kMaxLabelChars by replacing its middle with "..".
std::string shorten_label(const std::string& label);

}  // namespace zgen
