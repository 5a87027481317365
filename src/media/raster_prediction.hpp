#pragma once
// The median edge detector of LOCO-I / JPEG-LS (Weinberger, Seroussi & Sapiro 2000) on a byte
// stream read as a raster of `width` columns, and the residuals it leaves.
//
// A transformer trained on image patches with `raster_width` set predicts each pixel's residual
// r = (x − p) mod 256 instead of the pixel x, where p is this prediction from the pixels
// already seen; its predictor rolls the residual distribution back by p. The model then need
// not learn where the peak of a pixel's distribution lies, only its shape around a good guess;
// nothing is lost, since p depends only on earlier bytes (the decoder computes the same p).
//
// Pixel i of the raster sits at row y = i / width, column x = i % width. With a = left,
// b = above, c = above-left:
//   i = 0          p = 0 (nothing seen: the residual is the pixel)
//   y = 0          p = a
//   x = 0          p = b
//   otherwise      p = min(a,b) if c ≥ max(a,b); max(a,b) if c ≤ min(a,b); else a + b − c
#include <cstddef>
#include <cstdint>

#include "zgen/bytes.hpp"

namespace zgen {

// The prediction of pixel i from the pixels before it. `next` points where pixel i is (or would
// be) stored, so next[-1] is its left neighbour and next[-width] the pixel above; the bytes at
// next[-min(i, width + 1)] .. next[-1] must be readable. width ≥ 1.
std::uint8_t raster_prediction(const std::uint8_t* next, std::size_t i, int width);

// out[k] = the prediction of data[k] in a raster that restarts every `period` bytes (a patch or
// a chunk): byte k is pixel k mod period of its piece. period ≥ 1. A model's raster hints.
Bytes raster_predictions(ByteView data, std::size_t period, int width);

// out[k] = (data[k] − p) mod 256 with p the prediction of data[k] in a raster that restarts every
// `period` bytes (a patch or a chunk): byte k is pixel k mod period of its piece. period ≥ 1.
Bytes raster_residuals(ByteView data, std::size_t period, int width);

}  // namespace zgen
