#include "src/cli/draw/bar_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "src/cli/draw/bitmap_font.hpp"
#include "src/cli/draw/image_grid.hpp"

namespace zgen {
namespace {

// Layout in pixels (font 5×7 at scale 1).
constexpr int kMargin = 10;
constexpr int kAxisLabelWidth = 5 * kGlyphAdvance;  // "100%" and a space
constexpr int kPlotHeight = 200;
constexpr int kBarWidth = 20, kBarGap = 2, kGroupGap = 28;
constexpr int kLine = kGlyphHeight + 4;  // one line of text
constexpr std::uint8_t kWhite = 255, kInk = 0, kGrid = 215;

void fill_rect(GrayImage& im, int x, int y, int w, int h, std::uint8_t v) {
  for (int yy = std::max(0, y); yy < std::min(im.height, y + h); ++yy)
    for (int xx = std::max(0, x); xx < std::min(im.width, x + w); ++xx)
      im.pixels[static_cast<std::size_t>(yy) * static_cast<std::size_t>(im.width) + static_cast<std::size_t>(xx)] = v;
}

void frame_rect(GrayImage& im, int x, int y, int w, int h, std::uint8_t v) {
  fill_rect(im, x, y, w, 1, v);
  fill_rect(im, x, y + h - 1, w, 1, v);
  fill_rect(im, x, y, 1, h, v);
  fill_rect(im, x + w - 1, y, 1, h, v);
}

// Series i of n: dark to light, never white (bars are framed in black, so light ones show).
std::uint8_t series_shade(std::size_t i, std::size_t n) {
  return static_cast<std::uint8_t>(n <= 1 ? 90 : 20 + static_cast<int>(i * 200 / (n - 1)));
}

std::string value_label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 9.95 ? "%.1f" : "%.0f", v);
  return buf;
}

}  // namespace

GrayImage draw_bar_chart(const BarChart& chart) {
  const std::size_t n_series = chart.series.size(), n_groups = chart.groups.size();
  if (n_series == 0 || n_groups == 0 || chart.values.size() != n_groups)
    throw std::invalid_argument("draw_bar_chart: values must be (groups, series)");
  double top = 100;
  for (const auto& g : chart.values) {
    if (g.size() != n_series) throw std::invalid_argument("draw_bar_chart: values must be (groups, series)");
    for (double v : g)
      if (std::isfinite(v)) top = std::max(top, std::ceil(v / 25) * 25);
  }

  const int group_w = static_cast<int>(n_series) * (kBarWidth + kBarGap) - kBarGap;
  const int plot_w = static_cast<int>(n_groups) * (group_w + kGroupGap) + kGroupGap;
  int legend_w = 0;
  for (const auto& s : chart.series) legend_w = std::max(legend_w, 2 * kGlyphAdvance + text_width(s, 1));
  const int plot_x = kMargin + kAxisLabelWidth, plot_y = kMargin + 2 * kLine;
  GrayImage im;
  im.width = std::max({plot_x + plot_w + kMargin, 2 * kMargin + text_width(chart.title, 1), 2 * kMargin + legend_w});
  im.height = plot_y + kPlotHeight + kLine + kMargin + static_cast<int>(n_series) * kLine + kMargin;
  im.pixels.assign(static_cast<std::size_t>(im.width) * static_cast<std::size_t>(im.height), kWhite);

  draw_text(im, kMargin, kMargin, chart.title, 1, kInk);
  // y grid every 25 units, labelled on the left; the bars stand on y = bottom.
  const int bottom = plot_y + kPlotHeight;
  auto y_of = [&](double v) { return bottom - static_cast<int>(std::lround(v / top * kPlotHeight)); };
  for (double v = 0; v <= top + 1e-9; v += 25) {
    const int y = y_of(v);
    for (int x = plot_x; x < plot_x + plot_w; x += 4) fill_rect(im, x, y, 2, 1, kGrid);
    char axis[32];
    std::snprintf(axis, sizeof axis, "%.0f%s", v, chart.unit.c_str());
    const std::string label = axis;
    draw_text(im, plot_x - 4 - text_width(label, 1), y - kGlyphHeight / 2, label, 1, kInk);
  }
  fill_rect(im, plot_x, plot_y, 1, kPlotHeight + 1, kInk);
  fill_rect(im, plot_x, bottom, plot_w, 1, kInk);

  for (std::size_t g = 0; g < n_groups; ++g) {
    const int gx = plot_x + kGroupGap + static_cast<int>(g) * (group_w + kGroupGap);
    for (std::size_t s = 0; s < n_series; ++s) {
      const double v = chart.values[g][s];
      if (!std::isfinite(v)) continue;
      const int x = gx + static_cast<int>(s) * (kBarWidth + kBarGap), y = y_of(std::max(0.0, v));
      fill_rect(im, x, y, kBarWidth, bottom - y, series_shade(s, n_series));
      frame_rect(im, x, y, kBarWidth, bottom - y + 1, kInk);
      const std::string label = value_label(v);
      draw_text(im, x + (kBarWidth - text_width(label, 1)) / 2, y - kGlyphHeight - 2, label, 1, kInk);
    }
    draw_text(im, gx + (group_w - text_width(chart.groups[g], 1)) / 2, bottom + 4, chart.groups[g], 1, kInk);
  }

  // Legend: a swatch in the series' shade, then its name.
  const int legend_y = bottom + kLine + kMargin;
  for (std::size_t s = 0; s < n_series; ++s) {
    const int y = legend_y + static_cast<int>(s) * kLine;
    fill_rect(im, kMargin, y, kGlyphAdvance + 3, kGlyphHeight, series_shade(s, n_series));
    frame_rect(im, kMargin, y, kGlyphAdvance + 3, kGlyphHeight, kInk);
    draw_text(im, kMargin + 2 * kGlyphAdvance, y, chart.series[s], 1, kInk);
  }
  return im;
}

}  // namespace zgen
