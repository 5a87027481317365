// Every real predictor family through the arithmetic coder and back, byte for byte: the
// context-mixing model (primed and blank) and compressors turned into models.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "tests/fixtures.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"

namespace {

using zgen::Bytes;

Bytes fixture(const char* name, std::size_t n) {
  Bytes all = zgen::test::read_fixture(name);
  if (all.size() > n) all.resize(n);
  return all;
}

using zgen::test::random_bytes;

std::unique_ptr<zgen::Predictor> make(const std::string& spec) {
  zgen::PredictorOptions o;
  o.threads = 1;  // tests run two at a time on two cores: no thread fork per step
  return zgen::make_predictor(spec, o);
}

void round_trip(const std::string& spec, const Bytes& data, std::uint64_t chunk) {
  CAPTURE(spec);
  CAPTURE(data.size());
  CAPTURE(chunk);
  auto model = make(spec);
  const auto result = zgen::compress_to_container(*model, spec, data, chunk);
  // The coder's overhead over the model's own ideal code length stays small.
  CHECK(result.encoded.actual_bits() <= result.encoded.ideal_bits * 1.001 + 64.0 * (result.encoded.chunks + 1));
  const Bytes back = zgen::decompress_container(result.file, [](const std::string& s) { return make(s); });
  REQUIRE(back == data);
}

std::vector<Bytes> edge_inputs(std::size_t chunk) {
  Bytes all256(256);
  for (int i = 0; i < 256; ++i) all256[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  std::vector<Bytes> v = {Bytes{}, Bytes{'x'}, all256, Bytes(300, 0xff), random_bytes(200, 1)};
  const Bytes text = fixture("sotu-valid-30k.txt", 3 * chunk + 1);
  for (std::size_t n : {chunk - 1, chunk, chunk + 1, 2 * chunk + 1}) v.emplace_back(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(n));
  return v;
}

}  // namespace

TEST_CASE("ppm: primed and blank, chunked and unchunked, edge sizes, text and a photo") {
  for (const char* spec : {"ppm:6", "ppm:3:unprimed", "ppm2:6", "ppm2:3:unprimed", "ppm3:6", "ppm3:3:unprimed"}) {
    for (const auto& data : edge_inputs(2048)) {
      round_trip(spec, data, 2048);
      round_trip(spec, data, 0);
    }
    round_trip(spec, fixture("camera-crop-256x192.gray", 20000), 2048);
    round_trip(spec, random_bytes(30000, 7), 0);
  }
}

TEST_CASE("gzip as a model through the coder: edge sizes around the chunk size") {
  for (const auto& data : edge_inputs(64)) round_trip("gzip:9", data, 64);
  round_trip("gzip:6", fixture("sotu-valid-30k.txt", 700), 0);
  round_trip("gzip:9", fixture("camera-crop-256x192.gray", 300), 0);
}

TEST_CASE("the other compressor families as models through the coder") {
  const Bytes text = fixture("sotu-valid-30k.txt", 40);
  for (const char* spec : {"zstd:3", "xz:1", "bzip2:9", "brotli:5"}) {
    round_trip(spec, text, 16);
    round_trip(spec, Bytes{}, 16);
    round_trip(spec, Bytes{0x00, 0xff, 0x80}, 0);
  }
}

TEST_CASE("decoding with a different model is refused, not garbled") {
  const Bytes text = fixture("sotu-valid-30k.txt", 500);
  auto model = make("ppm:6");
  const auto file = zgen::compress_to_container(*model, "ppm:6", text, 0).file;
  zgen::DecompressOptions wrong;
  wrong.model_override = "ppm:6:unprimed";  // same name family, different parameters (no primer)
  CHECK_THROWS_AS(zgen::decompress_container(file, [](const std::string& s) { return make(s); }, wrong), zgen::UserError);
}
