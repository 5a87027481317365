// The png and flac families: exact round trips for every length (whole patches, partial ones,
// empty), real PNG and FLAC files that other readers decode, corrupt streams refused with
// UserError, and rates that make sense on real image and audio data.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "src/common/file_io.hpp"
#include "tests/fixtures.hpp"
#include "zgen/audio.hpp"
#include "zgen/compressor.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"
#include "zgen/models.hpp"

using namespace zgen;
using zgen::test::random_bytes;
using zgen::test::read_fixture;

namespace {

GrayImage camera_crop() {
  GrayImage im{256, 192, read_fixture("camera-crop-256x192.gray")};
  REQUIRE(im.pixels.size() == 256u * 192u);
  return im;
}

// The fixture's 16-bit samples as 8-bit bytes (include/zgen/audio.hpp).
Bytes speech_bytes() { return read_audio_bytes(std::string(ZGEN_TEST_DATA) + "/asterisk-to-extension.wav").samples; }

std::string tmp(const std::string& name) { return "/tmp/zgen-test-pngflac-" + std::to_string(::getpid()) + "-" + name; }

using zgen::test::user_error_of;

std::size_t chunked_size(const Compressor& c, const std::vector<Bytes>& chunks) {
  std::size_t total = 0;
  for (const auto& ch : chunks) total += c.compress(ch).size();
  return total;
}

}  // namespace

TEST_CASE("png and flac are SPECs without a level") {
  CHECK(make_compressor("png")->name() == "png");
  CHECK(make_compressor("flac")->name() == "flac");
  CHECK(user_error_of([] { make_compressor("png:9"); }).find("takes no level") != std::string::npos);
  CHECK(user_error_of([] { make_compressor("flac:"); }).find("takes no level") != std::string::npos);
  const auto families = compressor_families();
  CHECK(std::find(families.begin(), families.end(), "png") != families.end());
  CHECK(std::find(families.begin(), families.end(), "flac") != families.end());
  // As predictors (through their code lengths), like every compressor.
  for (const char* spec : {"png", "flac"}) {
    auto p = make_predictor(spec);
    const Bytes context = random_bytes(100, 1);
    p->reset(context);
    std::array<double, 256> lp{};
    p->log_probs(lp);
    double sum = 0;
    for (double v : lp) sum += std::exp(v);
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-9));
  }
}

TEST_CASE("png and flac round trips are exact for every length, random and real data") {
  const Bytes image = camera_crop().pixels;
  const Bytes audio = speech_bytes();
  const std::vector<std::size_t> lengths = {0, 1, 2, 63, 64, 65, 2047, 2048, 2049, 4096, 5000};
  for (const char* spec : {"png", "flac"}) {
    const auto c = make_compressor(spec);
    CAPTURE(spec);
    for (std::size_t n : lengths) {
      CAPTURE(n);
      for (const Bytes& source : {random_bytes(n, n + 7), image, audio}) {
        const Bytes data(source.begin(), source.begin() + static_cast<std::ptrdiff_t>(n));
        const Bytes z = c->compress(data);
        CHECK(c->decompress(z) == data);
        CHECK(c->code_length_bits(data) == 8.0 * static_cast<double>(z.size()));
      }
    }
    CHECK(c->decompress(c->compress(image)) == image);
    CHECK(c->decompress(c->compress(audio)) == audio);
    CHECK(c->decompress(c->compress(Bytes(100000, 0x80))) == Bytes(100000, 0x80));
  }
}

TEST_CASE("png round trips every patch of a real photo, and its output is a real PNG of the patch") {
  const auto png = make_compressor("png");
  const auto patches = image_patches(camera_crop(), "camera crop");
  REQUIRE(patches.size() == 24);
  for (const auto& p : patches) CHECK(png->decompress(png->compress(p)) == p);
  // A whole patch is a plain 64x32 grayscale PNG that any reader decodes to the patch.
  const std::string path = tmp("patch.png");
  write_file_atomically(path, png->compress(patches[5]));
  const GrayImage back = read_gray_image(path);
  CHECK(back.width == kPatchWidth);
  CHECK(back.height == kPatchHeight);
  CHECK(back.pixels == patches[5]);
  std::remove(path.c_str());
}

TEST_CASE("flac output is a real 8-bit FLAC file that libsndfile reads back to the same bytes") {
  const auto flac = make_compressor("flac");
  const Bytes audio = speech_bytes();
  const std::string path = tmp("speech.flac");
  write_file_atomically(path, flac->compress(audio));
  const AudioBytes back = read_audio_bytes(path);
  CHECK(back.sample_rate == 16000);
  CHECK(back.channels == 1);
  CHECK(back.samples == audio);
  std::remove(path.c_str());
}

TEST_CASE("png and flac refuse corrupt, truncated and foreign streams with UserError") {
  const Bytes patch = image_patches(camera_crop(), "camera crop")[3];
  const Bytes odd(patch.begin(), patch.begin() + 2047);  // carries the padding chunk
  for (const char* spec : {"png", "flac"}) {
    CAPTURE(spec);
    const auto c = make_compressor(spec);
    for (const Bytes& data : {patch, odd}) {
      const Bytes z = c->compress(data);
      for (std::size_t cut : {std::size_t{0}, std::size_t{3}, std::size_t{20}, z.size() / 2, z.size() - 1}) {
        CAPTURE(cut);
        const Bytes truncated(z.begin(), z.begin() + static_cast<std::ptrdiff_t>(cut));
        CHECK_THROWS_AS(c->decompress(truncated), UserError);
      }
      // Any flipped byte after the signature: a checksum (PNG chunk CRCs, zlib's Adler-32, FLAC's
      // frame CRCs and MD5) or the structure catches it, or it decodes to the same bytes (a
      // field the decoder does not use); never to different bytes.
      for (std::size_t at = 8; at < z.size(); at += 7) {
        Bytes bad = z;
        bad[at] ^= 0x5a;
        bool same = true;
        try {
          same = c->decompress(bad) == data;
        } catch (const UserError&) {
        }
        CHECK_MESSAGE(same, "byte ", at, " flipped decoded to different bytes");
      }
      Bytes trailing = z;
      trailing.push_back(0);
      CHECK_THROWS_AS(c->decompress(trailing), UserError);
    }
    CHECK_THROWS_AS(c->decompress(make_compressor("gzip")->compress(patch)), UserError);
    CHECK_THROWS_AS(c->decompress(random_bytes(300, 5)), UserError);
  }
  CHECK_THROWS_AS(make_compressor("png")->decompress(make_compressor("flac")->compress(patch)), UserError);
  CHECK_THROWS_AS(make_compressor("flac")->decompress(make_compressor("png")->compress(patch)), UserError);
}

TEST_CASE("rates on real data: png beats gzip on photo patches, flac beats gzip on speech") {
  const auto gzip = make_compressor("gzip:9"), png = make_compressor("png"), flac = make_compressor("flac");
  const auto patches = image_patches(camera_crop(), "camera crop");
  const double raw = static_cast<double>(patches.size() * kChunkBytes);
  const double png_rate = static_cast<double>(chunked_size(*png, patches)) / raw;
  const double gzip_rate = static_cast<double>(chunked_size(*gzip, patches)) / raw;
  MESSAGE("camera crop patches: png " << png_rate << ", gzip " << gzip_rate);
  CHECK(png_rate < gzip_rate);
  CHECK(png_rate > 0.2);
  CHECK(png_rate < 0.9);
  const Bytes image = camera_crop().pixels;
  CHECK(png->compress(image).size() < gzip->compress(image).size());

  const auto chunks = whole_chunks(speech_bytes());
  REQUIRE(chunks.size() == 5);
  const double audio_raw = static_cast<double>(chunks.size() * kChunkBytes);
  const double flac_rate = static_cast<double>(chunked_size(*flac, chunks)) / audio_raw;
  const double gzip_audio = static_cast<double>(chunked_size(*gzip, chunks)) / audio_raw;
  MESSAGE("speech chunks: flac " << flac_rate << ", gzip " << gzip_audio);
  CHECK(flac_rate < gzip_audio);
  CHECK(flac_rate > 0.1);
  // Random bytes cannot shrink; the formats' overhead stays small.
  const Bytes noise = random_bytes(kChunkBytes, 9);
  for (const auto* c : {png.get(), flac.get()}) {
    const double rate = static_cast<double>(c->compress(noise).size()) / kChunkBytes;
    CHECK(rate > 0.99);
    CHECK(rate < 1.1);
  }
}
