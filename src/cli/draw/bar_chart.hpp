#pragma once
// A grouped bar chart drawn into a grayscale image (for `zgen bench --plot`): one group per
// column (text, image, audio), one bar per series (compressor) in each group, series told apart
// by their gray level and named in a legend, each bar labelled with its value. Labels use the
// built-in 5×7 font (src/cli/draw/bitmap_font.hpp, drawn by src/cli/draw/image_grid.hpp's draw_text).
#include <string>
#include <vector>

#include "zgen/images.hpp"

namespace zgen {

struct BarChart {
  std::string title;
  std::vector<std::string> series;          // legend names, one per bar in a group
  std::vector<std::string> groups;          // group names, under each group
  std::vector<std::vector<double>> values;  // (groups, series), ≥ 0; NaN draws no bar
  std::string unit = "%";                   // appended to the bar labels
};

// The y axis runs from 0 to the largest value rounded up to a multiple of 25 (at least 100).
// Throws std::invalid_argument when the shape of `values` does not match (a bug).
GrayImage draw_bar_chart(const BarChart& chart);

}  // namespace zgen
