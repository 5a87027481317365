// The median edge detector on a raster (src/media/raster_prediction.hpp): its cases by hand, the
// residual stream's restarts, that residuals decode back to the pixels, and that on a real photo
// they carry much less order-0 entropy than the pixels (what a raster model is for).
#include <doctest/doctest.h>

#include "tests/fixtures.hpp"

#include <array>
#include <cmath>

#include "src/media/raster_prediction.hpp"
#include "zgen/images.hpp"

using namespace zgen;

namespace {

double order0_bits_per_byte(ByteView b) {
  std::array<double, 256> count{};
  for (auto x : b) count[x] += 1;
  double bits = 0;
  for (double c : count)
    if (c > 0) bits -= c * std::log2(c / static_cast<double>(b.size()));
  return bits / static_cast<double>(b.size());
}

}  // namespace

TEST_CASE("raster prediction: the median edge detector and its edges") {
  // A raster 3 wide; each case predicts the pixel after the bytes shown (row-major).
  const Bytes r = {10, 20, 30,   //
                   40, 0, 0};
  CHECK(raster_prediction(r.data(), 0, 3) == 0);         // nothing seen
  CHECK(raster_prediction(r.data() + 1, 1, 3) == 10);    // first row: left
  CHECK(raster_prediction(r.data() + 2, 2, 3) == 20);
  CHECK(raster_prediction(r.data() + 3, 3, 3) == 10);    // first column: above
  // Pixel 4: a = 40 (left), b = 20 (above), c = 10 (above-left) ≤ min: max(a, b).
  CHECK(raster_prediction(r.data() + 4, 4, 3) == 40);
  const Bytes s = {10, 20, 0,  //
                   5, 0, 0};
  // a = 5, b = 20, c = 10 between them: a + b − c = 15.
  CHECK(raster_prediction(s.data() + 4, 4, 3) == 15);
  const Bytes t = {200, 90, 0,  //
                   120, 0, 0};
  // a = 120, b = 90, c = 200 ≥ max: min(a, b) = 90 (an edge above-left: follow the smaller).
  CHECK(raster_prediction(t.data() + 4, 4, 3) == 90);
  const Bytes u = {0, 255, 0,  //
                   255, 0, 0};
  // a = b = 255, c = 0: max = 255, never out of the byte's range.
  CHECK(raster_prediction(u.data() + 4, 4, 3) == 255);
}

TEST_CASE("raster residuals restart every period and decode back to the pixels of a real photo") {
  const Bytes photo = zgen::test::read_fixture("camera-crop-256x192.gray");
  const std::vector<Bytes> patches = image_patches(GrayImage{256, 192, photo}, "camera crop");
  REQUIRE(patches.size() == 24);
  Bytes stream;
  for (const auto& p : patches) stream.insert(stream.end(), p.begin(), p.end());
  const Bytes res = raster_residuals(stream, kChunkBytes, kPatchWidth);
  REQUIRE(res.size() == stream.size());

  // Each patch's residuals are those of the patch alone: the raster restarts at its first byte.
  for (std::size_t k = 0; k < patches.size(); ++k) {
    const Bytes alone = raster_residuals(patches[k], kChunkBytes, kPatchWidth);
    CHECK(std::equal(alone.begin(), alone.end(), res.begin() + static_cast<std::ptrdiff_t>(k * kChunkBytes)));
    CHECK(alone[0] == patches[k][0]);  // the first pixel is its own residual
  }
  // A decoder that knows only the residuals rebuilds every pixel, predicting from what it built.
  Bytes rebuilt(stream.size());
  for (std::size_t k = 0; k < res.size(); ++k)
    rebuilt[k] = static_cast<std::uint8_t>(res[k] + raster_prediction(rebuilt.data() + k, k % kChunkBytes, kPatchWidth));
  CHECK(rebuilt == stream);

  // What a raster model gains: residuals of a real photo are far more predictable than pixels.
  const double pixels = order0_bits_per_byte(stream), residuals = order0_bits_per_byte(res);
  MESSAGE("order-0 entropy of the camera crop's patches: pixels " << pixels << ", residuals " << residuals);
  CHECK(residuals < 0.8 * pixels);

  // A different period moves the restarts: the residuals change where the raster's rows do.
  CHECK(raster_residuals(stream, kChunkBytes / 2, kPatchWidth) != res);
}
