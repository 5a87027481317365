#include "src/media/raster_prediction.hpp"

#include <algorithm>
#include <stdexcept>

namespace zgen {

std::uint8_t raster_prediction(const std::uint8_t* next, std::size_t i, int width) {
  const std::size_t w = static_cast<std::size_t>(width);
  if (i == 0) return 0;
  if (i < w) return next[-1];                               // first row: left
  if (i % w == 0) return next[-static_cast<std::ptrdiff_t>(w)];  // first column: above
  const int a = next[-1], b = next[-static_cast<std::ptrdiff_t>(w)], c = next[-static_cast<std::ptrdiff_t>(w) - 1];
  if (c >= std::max(a, b)) return static_cast<std::uint8_t>(std::min(a, b));
  if (c <= std::min(a, b)) return static_cast<std::uint8_t>(std::max(a, b));
  return static_cast<std::uint8_t>(a + b - c);  // c strictly between a and b: a + b − c is in [min, max]
}

Bytes raster_predictions(ByteView data, std::size_t period, int width) {
  if (period < 1 || width < 1) throw std::logic_error("raster_predictions: period and width must be ≥ 1");
  Bytes out(data.size());
  for (std::size_t k = 0; k < data.size(); ++k) out[k] = raster_prediction(data.data() + k, k % period, width);
  return out;
}

Bytes raster_residuals(ByteView data, std::size_t period, int width) {
  Bytes out = raster_predictions(data, period, width);
  for (std::size_t k = 0; k < data.size(); ++k) out[k] = static_cast<std::uint8_t>(data[k] - out[k]);
  return out;
}

}  // namespace zgen
