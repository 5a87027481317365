// The labelled image grid and its built-in 5x7 font.
#include <doctest/doctest.h>

#include <set>
#include <stdexcept>
#include <string>

#include "src/cli/draw/bitmap_font.hpp"
#include "src/cli/draw/image_grid.hpp"

using zgen::GrayImage;

TEST_CASE("the font has a distinct glyph for every printable character it claims; the rest fall back to '?'") {
  const std::string claimed = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_|~";
  std::set<std::array<std::uint8_t, zgen::kGlyphHeight>> seen;
  for (char c : claimed) {
    CAPTURE(c);
    const auto rows = zgen::glyph_rows(c);
    for (auto r : rows) CHECK(r < (1u << zgen::kGlyphWidth));  // 5 columns only
    CHECK(seen.insert(rows).second);                           // no two characters look alike
  }
  for (char c = 'a'; c <= 'z'; ++c) CHECK(zgen::glyph_rows(c) == zgen::glyph_rows(static_cast<char>(c - 'a' + 'A')));
  CHECK(zgen::glyph_rows('\x01') == zgen::glyph_rows('?'));
  CHECK(zgen::glyph_rows('{') == zgen::glyph_rows('?'));
  CHECK(zgen::text_width("", 2) == 0);
  CHECK(zgen::text_width("AB", 1) == 11);
  CHECK(zgen::text_width("AB", 3) == 33);
}

TEST_CASE("compose_grid places each upscaled tile in a framed cell with its label underneath") {
  GrayImage a{2, 3, {10, 20, 30, 40, 50, 60}};
  GrayImage b{4, 1, {200, 201, 202, 203}};
  zgen::GridOptions o;
  o.columns = 2;
  o.scale = 3;
  o.text_scale = 1;
  o.margin = 5;
  o.background = 255;
  o.ink = 0;
  const GrayImage g = zgen::compose_grid({{a, "A"}, {b, "B"}, {a, "LONGER LABEL"}}, o);
  // Cells: width max(4·3 + 2, text_width("LONGER LABEL") = 71) = 71; height 3·3 + 2 + 3 + 7 = 21.
  CHECK(g.width == 5 + 2 * (71 + 5));
  CHECK(g.height == 5 + 2 * (21 + 5));
  REQUIRE(g.pixels.size() == static_cast<std::size_t>(g.width) * g.height);
  auto at = [&](int x, int y) { return g.pixels[static_cast<std::size_t>(y) * g.width + x]; };

  // Tile a in cell (0, 0): centred, 6 px wide, top at margin + frame.
  const int ax = 5 + (71 - 6) / 2, ay = 5 + 1;
  for (int y = 0; y < 9; ++y)
    for (int x = 0; x < 6; ++x) CHECK(at(ax + x, ay + y) == a.pixels[static_cast<std::size_t>(y / 3) * 2 + x / 3]);
  // Its frame, one pixel all around, in ink.
  for (int x = -1; x <= 6; ++x) {
    CHECK(at(ax + x, ay - 1) == 0);
    CHECK(at(ax + x, ay + 9) == 0);
  }
  for (int y = -1; y <= 9; ++y) {
    CHECK(at(ax - 1, ay + y) == 0);
    CHECK(at(ax + 6, ay + y) == 0);
  }
  // The label "A" under it: some ink in its 5x7 box, centred in the cell.
  const int lx = 5 + (71 - 5) / 2, ly = ay + 9 + 1 + 3;
  int ink = 0;
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 5; ++x) ink += at(lx + x, ly + y) == 0;
  CHECK(ink == 18);  // the glyph's lit pixels: .###. #...# #...# ##### #...# #...# #...#
  // Tile b in cell (1, 0), 12x3 px.
  const int bx = 5 + 76 + (71 - 12) / 2;
  CHECK(at(bx, ay) == 200);
  CHECK(at(bx + 11, ay + 2) == 203);
  // The grid's corners and the empty fourth cell are background.
  CHECK(at(0, 0) == 255);
  CHECK(at(g.width - 1, g.height - 1) == 255);
  CHECK(at(5 + 76 + 35, 5 + 26 + 10) == 255);
}

TEST_CASE("long labels are shortened in the middle; bad grids are refused") {
  const std::string spec = "transformer:/a/very/long/path/to/some/checkpoint/directory/model.safetensors";
  const std::string s = zgen::shorten_label(spec);
  CHECK(s.size() == zgen::kMaxLabelChars);
  CHECK(s.find("..") != std::string::npos);
  CHECK(s.rfind("transformer:", 0) == 0);
  CHECK(s.substr(s.size() - 11) == "safetensors");
  CHECK(zgen::shorten_label("gzip:9") == "gzip:9");

  zgen::GridOptions o;
  CHECK_THROWS_AS(zgen::compose_grid({}, o), std::invalid_argument);
  CHECK_THROWS_AS(zgen::compose_grid({{GrayImage{}, "x"}}, o), std::invalid_argument);
  o.scale = 0;
  CHECK_THROWS_AS(zgen::compose_grid({{GrayImage{1, 1, {0}}, "x"}}, o), std::invalid_argument);
}

TEST_CASE("text drawn across the image's edges is clipped, not written out of bounds") {
  GrayImage img{10, 5, std::vector<std::uint8_t>(50, 255)};
  zgen::draw_text(img, -3, -2, "HELLO, WORLD", 2, 0);
  zgen::draw_text(img, 8, 3, "X", 1, 0);
  CHECK(img.pixels.size() == 50u);
  int ink = 0;
  for (auto p : img.pixels) ink += p == 0;
  CHECK(ink > 0);
}
