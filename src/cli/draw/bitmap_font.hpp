#pragma once
// A tiny built-in 5×7 bitmap font for labelling image grids (uppercase, digits, punctuation;
// lowercase is drawn as uppercase, anything else as '?').
#include <array>
#include <cstdint>
#include <string_view>

namespace zgen {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;
inline constexpr int kGlyphAdvance = kGlyphWidth + 1;  // one blank column between characters

// Row r (0 = top) of the glyph for c: bit 4 is the leftmost column, bit 0 the rightmost.
std::array<std::uint8_t, kGlyphHeight> glyph_rows(char c);

// Width in pixels of `text` drawn at `scale` (no trailing blank column).
inline int text_width(std::string_view text, int scale) {
  return text.empty() ? 0 : (static_cast<int>(text.size()) * kGlyphAdvance - 1) * scale;
}

}  // namespace zgen
