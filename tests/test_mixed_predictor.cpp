// mix:A+B+… (src/models/mixed_predictor.hpp): a normalised distribution at every byte, the part itself
// before it has learned anything, weights that move toward the better part, exact round trips,
// and a mix that codes held-out photo patches smaller than its best part.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "src/eval/bench_rates.hpp"
#include "src/models/mixed_predictor.hpp"
#include "tests/fixtures.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"
#include "zgen/models.hpp"

namespace {

const auto make = zgen::test::make_single_threaded;
const std::string kPatchModel = "transformer:" + std::string(ZGEN_TEST_DATA) + "/../../models/patches-2x64.safetensors";

zgen::Bytes text_fixture(std::size_t n) {
  zgen::Bytes text = zgen::test::read_fixture("sotu-valid-30k.txt");
  text.resize(n);
  return text;
}

// Ideal code length in bits of `data` under the model, from a fresh reset.
double ideal_bits(zgen::Predictor& p, zgen::ByteView data) {
  std::array<double, 256> lp;
  p.reset({});
  double bits = 0;
  for (std::uint8_t b : data) {
    p.log_probs(lp);
    bits -= lp[b] / std::log(2.0);
    p.observe(b);
  }
  return bits;
}

}  // namespace

TEST_CASE("a mix names its parts and rejects malformed specs") {
  CHECK(make("mix:ppm:2+ppm:6")->name() == "mix:ppm:2+ppm:6");
  CHECK(make("mix:gzip")->name() == "mix:gzip:9");
  CHECK(zgen::test::user_error_of([] { make("mix:"); }).find("empty model") != std::string::npos);
  CHECK(zgen::test::user_error_of([] { make("mix:ppm:6+"); }).find("empty model") != std::string::npos);
  CHECK(zgen::test::user_error_of([] { make("mix:ppm:2++ppm:6"); }).find("empty model") != std::string::npos);
  CHECK(zgen::test::user_error_of([] { make("mix:mix:ppm:2+ppm:6"); }).find("another mix") != std::string::npos);
  CHECK(zgen::test::user_error_of([] { make("mix:ppm:2+nonsense"); }) != "<no UserError>");
  std::string many = "mix:ppm:1";
  for (int i = 0; i < 8; ++i) many += "+ppm:1";
  CHECK(zgen::test::user_error_of([&] { make(many); }).find("more than 8") != std::string::npos);
  // a different part list is a different model: its files are refused, not garbled
  CHECK(zgen::model_parameters_hash(*make("mix:ppm:2+ppm:6")) != zgen::model_parameters_hash(*make("mix:ppm:6+ppm:2")));
}

TEST_CASE("before it has seen a byte, a one-part mix predicts as its part does; then it adapts") {
  const zgen::Bytes text = text_fixture(3000);
  auto alone = make("ppm:6");
  auto mixed = make("mix:ppm:6");
  std::array<double, 256> a, m;
  alone->reset({});
  mixed->reset({});
  alone->log_probs(a);
  mixed->log_probs(m);
  for (int b = 0; b < 256; ++b) CHECK(m[b] == doctest::Approx(a[b]).epsilon(1e-12));

  // Every later distribution is normalised, and the weight has moved away from 1.
  double worst = 0;
  for (std::uint8_t byte : text) {
    mixed->observe(byte);
    mixed->log_probs(m);
    double sum = 0;
    for (double v : m) sum += std::exp(v);
    worst = std::max(worst, std::abs(sum - 1));
  }
  CHECK(worst < 1e-9);
  const auto& w = dynamic_cast<zgen::MixedPredictor&>(*mixed).weights();
  CHECK(w[0] != 1.0);
  CHECK(w[0] >= 0.0);
  CHECK(w[0] <= zgen::kMixMaxWeight);
}

TEST_CASE("the weights move toward the part that predicts better, and reset forgets them") {
  const zgen::Bytes text = text_fixture(4000);
  auto p = make("mix:ppm:1:unprimed+ppm:6");
  auto& mix = dynamic_cast<zgen::MixedPredictor&>(*p);
  const double mixed_bits = ideal_bits(*p, text);
  MESSAGE("weights after 4000 bytes of a speech: order 1 " << mix.weights()[0] << ", order 6 " << mix.weights()[1]);
  CHECK(mix.weights()[1] > mix.weights()[0] + 0.2);
  auto order6 = make("ppm:6");
  auto order1 = make("ppm:1:unprimed");
  const double bits6 = ideal_bits(*order6, text), bits1 = ideal_bits(*order1, text);
  MESSAGE("bits/byte: mix " << mixed_bits / text.size() << ", ppm:6 " << bits6 / text.size() << ", ppm:1 "
                            << bits1 / text.size());
  CHECK(mixed_bits < bits1);
  CHECK(mixed_bits < bits6 * 1.02);  // a weak part costs the mix little
  p->reset({});
  CHECK(mix.weights()[0] == 0.5);
  CHECK(mix.weights()[1] == 0.5);
}

TEST_CASE("mixed models compress and restore exactly, chunked and whole") {
  const zgen::Bytes text = text_fixture(5000);
  const std::string spec = "mix:ppm:2+ppm:6";
  auto model = make(spec);
  for (std::uint64_t chunk : {std::uint64_t{0}, std::uint64_t{1500}}) {
    const auto r = zgen::compress_to_container(*model, spec, text, chunk);
    CHECK(r.file.size() < text.size() / 2);
    CHECK(zgen::decompress_container(r.file, make) == text);
  }
}

// The shipped patch model never saw camera.png. Mixed with ppm:6 it codes these patches smaller
// than either part alone (4.8% below the transformer on the held-out photos: BENCHMARKS.md).
TEST_CASE("the patch transformer mixed with ppm codes held-out photo patches smaller than either") {
  const zgen::Bytes raw = zgen::test::read_fixture("camera-crop-256x192.gray");
  REQUIRE(raw.size() == 256u * 192u);
  const std::vector<zgen::Bytes> patches = zgen::image_patches(zgen::GrayImage{256, 192, raw}, "camera crop");
  const std::string spec = "mix:" + kPatchModel + "+ppm:6";
  auto mixed = make(spec);
  auto transformer = make(kPatchModel);
  auto ppm = make("ppm:6");
  std::size_t mixed_bytes = 0, transformer_bytes = 0, ppm_bytes = 0;
  for (std::size_t i = 0; i < patches.size(); i += 6) {  // 4 of the 24 patches
    const auto r = zgen::compress_to_container(*mixed, spec, patches[i], 2048);
    mixed_bytes += r.encoded.payload.size();
    CHECK(zgen::decompress_container(r.file, make) == patches[i]);
    transformer_bytes += zgen::compress_to_container(*transformer, kPatchModel, patches[i], 2048).encoded.payload.size();
    ppm_bytes += zgen::compress_to_container(*ppm, "ppm:6", patches[i], 2048).encoded.payload.size();
  }
  MESSAGE("4 camera patches: mix " << mixed_bytes << " bytes, transformer " << transformer_bytes << ", ppm:6 " << ppm_bytes);
  CHECK(mixed_bytes < transformer_bytes);
  CHECK(mixed_bytes < ppm_bytes);
  // bench counts the transformer's parameters in the mix's adjusted rate
  CHECK(zgen::describe_bench_model(spec).parameters == 263936);
}
