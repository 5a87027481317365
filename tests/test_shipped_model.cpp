// The models the repository ships (models/sotu-800k.safetensors and models/patches-2x64.safetensors,
// see models/README.md): they load on a fresh clone, predict held-out text and photo patches, and
// code them losslessly.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "src/eval/evaluation.hpp"
#include "src/transformer/checkpoint.hpp"
#include "tests/fixtures.hpp"
#include "zgen/coding.hpp"
#include "zgen/compressor.hpp"
#include "zgen/images.hpp"
#include "zgen/models.hpp"

namespace {

const std::string kModel = std::string(ZGEN_TEST_DATA) + "/../../models/sotu-800k.safetensors";

const auto make = zgen::test::make_single_threaded;

// Bits/byte of `spec` on `text`, predicted from an empty context, on one thread.
double bits_per_byte(const std::string& spec, const zgen::Bytes& text) {
  return zgen::score_model(spec, {}, text, zgen::PredictorOptions{}).bits_per_byte();
}

}  // namespace

TEST_CASE("the shipped model is the paper's 800k shape and predicts held-out speeches better than ppm") {
  const zgen::transformer::Checkpoint c = zgen::transformer::load_checkpoint(kModel);
  CHECK(c.config.layers == 4);
  CHECK(c.config.dim == 128);
  CHECK(c.config.heads == 4);
  CHECK(c.model->num_parameters() == 858880);  // the paper's ≈857K: sinusoidal positions, no table
  CHECK(c.config.seq == 512);                   // trained on 512-byte windows (models/README.md)
  CHECK(c.metadata.count("train.command") == 1);

  // The fixture is from sotu-valid.txt (2000–2021), which the model never trained on; 2048
  // bytes is one chunk of the paper's protocol, longer than the model's window (it slides).
  zgen::Bytes text = zgen::test::read_fixture("sotu-valid-30k.txt");
  text.resize(2048);
  const double model_bits = bits_per_byte("transformer:" + kModel, text);
  const double ppm_bits = bits_per_byte("ppm:6", text);
  MESSAGE("on 2048 held-out bytes: shipped model " << model_bits << " bits/byte, ppm:6 " << ppm_bits);
  CHECK(model_bits < ppm_bits);
}

TEST_CASE("the shipped model compresses and restores text exactly") {
  zgen::Bytes text = zgen::test::read_fixture("sotu-valid-30k.txt");
  text.resize(2 * 2048 + 100);
  const std::string spec = "transformer:" + kModel;
  auto model = make(spec);
  const auto r = zgen::compress_to_container(*model, spec, text, 2048);
  CHECK(r.file.size() < text.size() / 2);
  CHECK(zgen::decompress_container(r.file, make) == text);
}

// The shipped patch model (models/patches-2x64.safetensors): trained on 21 photos of
// ../shared/data/images; camera.png was one of the 6 held out (models/README.md).
TEST_CASE("the shipped patch model codes held-out photo patches smaller than png does") {
  const std::string path = std::string(ZGEN_TEST_DATA) + "/../../models/patches-2x64.safetensors";
  const zgen::transformer::Checkpoint c = zgen::transformer::load_checkpoint(path);
  CHECK(c.config.seq == 2048);
  CHECK(c.metadata.count("train.command") == 1);

  // 24 patches of camera.png (a 256×192 crop, 4 × 6 patches of 64×32).
  const zgen::Bytes raw = zgen::test::read_fixture("camera-crop-256x192.gray");
  REQUIRE(raw.size() == 256u * 192u);
  const zgen::GrayImage image{256, 192, raw};
  const std::vector<zgen::Bytes> patches = zgen::image_patches(image, "camera crop");
  REQUIRE(patches.size() == 24);

  const std::string spec = "transformer:" + path;
  auto model = make(spec);
  const auto png = zgen::make_compressor("png");
  std::size_t model_bytes = 0, png_bytes = 0;
  for (const zgen::Bytes& patch : patches) {
    const auto r = zgen::compress_to_container(*model, spec, patch, 2048);
    model_bytes += r.encoded.payload.size();
    png_bytes += png->compress(patch).size();
    CHECK(zgen::decompress_container(r.file, make) == patch);
  }
  MESSAGE("24 held-out camera patches: patch model " << model_bytes << " bytes, png " << png_bytes << " bytes");
  CHECK(model_bytes < png_bytes);
}
