// Cutting data into the paper's pieces: image patches (64 wide, 32 high, raster order, edges
// dropped), 2048-byte chunks, the evenly spaced selection of `zgen bench --chunks`, and audio
// read as 8-bit unsigned mono bytes (a real WAV, a stereo mixdown, refused broken files).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "src/common/file_io.hpp"
#include "src/eval/bench_rates.hpp"
#include "tests/fixtures.hpp"
#include "zgen/audio.hpp"
#include "zgen/compressor.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"

using namespace zgen;
using zgen::test::read_fixture;

namespace {

const std::string kWav = std::string(ZGEN_TEST_DATA) + "/asterisk-to-extension.wav";

std::string tmp(const std::string& name) { return "/tmp/zgen-test-audio-" + std::to_string(::getpid()) + "-" + name; }

// pixel (x, y) = (3x + 7y) mod 256: every pixel tells where it came from.
GrayImage gradient(int w, int h) {
  GrayImage im{w, h, {}};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) im.pixels.push_back(static_cast<std::uint8_t>(3 * x + 7 * y));
  return im;
}

void put_le(Bytes& b, std::uint32_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// A 16-bit PCM WAV holding the interleaved samples.
Bytes make_wav(const std::vector<std::int16_t>& samples, int channels, int rate) {
  Bytes b;
  const std::uint32_t data = static_cast<std::uint32_t>(samples.size() * 2);
  b.insert(b.end(), {'R', 'I', 'F', 'F'});
  put_le(b, 36 + data, 4);
  b.insert(b.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  put_le(b, 16, 4);
  put_le(b, 1, 2);  // PCM
  put_le(b, static_cast<std::uint32_t>(channels), 2);
  put_le(b, static_cast<std::uint32_t>(rate), 4);
  put_le(b, static_cast<std::uint32_t>(rate * channels * 2), 4);
  put_le(b, static_cast<std::uint32_t>(channels * 2), 2);
  put_le(b, 16, 2);
  b.insert(b.end(), {'d', 'a', 't', 'a'});
  put_le(b, data, 4);
  for (auto s : samples) put_le(b, static_cast<std::uint16_t>(s), 2);
  return b;
}

std::string write_tmp(const std::string& name, ByteView data) {
  const std::string path = tmp(name);
  write_file_atomically(path, data);
  return path;
}

std::string user_error_of(const std::string& path) {
  try {
    read_audio_bytes(path);
  } catch (const UserError& e) {
    return e.what();
  }
  return "<no UserError>";
}

}  // namespace

TEST_CASE("image patches: 64x32, raster order inside and across, partial edges dropped") {
  const GrayImage im = gradient(130, 70);  // 2 patches across, 2 down; 2 columns and 6 rows left over
  const auto patches = image_patches(im, "gradient");
  REQUIRE(patches.size() == 4);
  for (std::size_t k = 0; k < patches.size(); ++k) {
    REQUIRE(patches[k].size() == kChunkBytes);
    const int i = static_cast<int>(k) / 2, j = static_cast<int>(k) % 2;  // patch row, patch column
    for (int y = 0; y < kPatchHeight; ++y)
      for (int x = 0; x < kPatchWidth; ++x)
        CHECK(patches[k][static_cast<std::size_t>(y * kPatchWidth + x)] ==
              static_cast<std::uint8_t>(3 * (64 * j + x) + 7 * (32 * i + y)));
  }
  CHECK(image_patches(gradient(64, 32), "exact").size() == 1);
  CHECK(image_patches(gradient(64, 32), "exact")[0] == gradient(64, 32).pixels);
  CHECK(image_patches(gradient(127, 63), "almost two").size() == 1);
  CHECK_THROWS_AS(image_patches(gradient(63, 32), "narrow"), UserError);
  CHECK_THROWS_AS(image_patches(gradient(64, 31), "short"), UserError);
  CHECK_THROWS_AS(image_patches(GrayImage{}, "empty"), UserError);
  // The real photo crop: 256x192 gives 4 x 6 patches.
  const GrayImage camera{256, 192, read_fixture("camera-crop-256x192.gray")};
  CHECK(image_patches(camera, "camera").size() == 24);
}

TEST_CASE("whole chunks and the evenly spaced selection") {
  Bytes data(4097);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 13);
  CHECK(whole_chunks(Bytes{}).empty());
  CHECK(whole_chunks(ByteView(data).first(2047)).empty());
  CHECK(whole_chunks(ByteView(data).first(2048)).size() == 1);
  const auto chunks = whole_chunks(data);
  REQUIRE(chunks.size() == 2);
  CHECK(chunks[1] == Bytes(data.begin() + 2048, data.begin() + 4096));
  CHECK(whole_chunks(data, 1000).size() == 4);

  std::vector<Bytes> ten;
  for (std::uint8_t i = 0; i < 10; ++i) ten.push_back(Bytes{i});
  const auto three = select_evenly(ten, 3);
  REQUIRE(three.size() == 3);
  CHECK(three[0] == Bytes{0});
  CHECK(three[1] == Bytes{3});
  CHECK(three[2] == Bytes{6});
  CHECK(select_evenly(ten, 0).size() == 10);
  CHECK(select_evenly(ten, 10).size() == 10);
  CHECK(select_evenly(ten, 99).size() == 10);
  CHECK(select_evenly(ten, 1)[0] == Bytes{0});
}

TEST_CASE("16-bit samples become floor(x / 256) + 128") {
  CHECK(unsigned8_from_sum(-32768, 1) == 0);
  CHECK(unsigned8_from_sum(-257, 1) == 126);
  CHECK(unsigned8_from_sum(-256, 1) == 127);
  CHECK(unsigned8_from_sum(-1, 1) == 127);
  CHECK(unsigned8_from_sum(0, 1) == 128);
  CHECK(unsigned8_from_sum(255, 1) == 128);
  CHECK(unsigned8_from_sum(256, 1) == 129);
  CHECK(unsigned8_from_sum(32767, 1) == 255);
  CHECK(unsigned8_from_sum(-1, 2) == 127);  // mean −0.5 → floor(−1/512) = −1
  CHECK(unsigned8_from_sum(2 * 32767, 2) == 255);
  CHECK(unsigned8_from_sum(2 * -32768, 2) == 0);
}

TEST_CASE("a real WAV reads as its samples, 8-bit unsigned, one byte per sample") {
  const AudioBytes a = read_audio_bytes(kWav);
  CHECK(a.sample_rate == 8000);
  CHECK(a.channels == 1);
  // Independently: the data chunk of this canonical 44-byte-header WAV, little-endian int16.
  const Bytes wav = read_fixture("asterisk-to-extension.wav");
  REQUIRE(std::string(wav.begin() + 36, wav.begin() + 40) == "data");
  const std::size_t n = (wav.size() - 44) / 2;
  REQUIRE(a.samples.size() == n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<std::int16_t>(wav[44 + 2 * i] | wav[45 + 2 * i] << 8);
    const int expected = (x >= 0 ? x / 256 : -((-x + 255) / 256)) + 128;
    if (a.samples[i] != expected) {
      FAIL("sample " << i << ": " << int(a.samples[i]) << " != " << expected);
      break;
    }
  }
  CHECK(whole_chunks(a.samples).size() == 5);
}

TEST_CASE("stereo is mixed down; FLAC reads back exactly") {
  const std::vector<std::int16_t> stereo = {1000, 3000, -1, 0, -32768, -32768, 32767, 32767, 256, -257};
  const std::string path = write_tmp("stereo.wav", make_wav(stereo, 2, 44100));
  const AudioBytes a = read_audio_bytes(path);
  CHECK(a.channels == 2);
  CHECK(a.sample_rate == 44100);
  CHECK(a.samples == Bytes{135, 127, 0, 255, 127});
  std::remove(path.c_str());

  const Bytes bytes = read_audio_bytes(kWav).samples;
  const std::string flac_path = write_tmp("speech.flac", make_compressor("flac")->compress(bytes));
  CHECK(read_audio_bytes(flac_path).samples == bytes);
  std::remove(flac_path.c_str());
}

TEST_CASE("audio from memory reads as the same file does, and is refused the same way") {
  const Bytes wav = read_fixture("asterisk-to-extension.wav");
  const AudioBytes from_file = read_audio_bytes(kWav);
  const AudioBytes from_memory = decode_audio_bytes(wav, "speech");
  CHECK(from_memory.samples == from_file.samples);
  CHECK(from_memory.sample_rate == from_file.sample_rate);
  CHECK(from_memory.channels == from_file.channels);
  const Bytes flac = make_compressor("flac")->compress(from_file.samples);
  CHECK(decode_audio_bytes(flac, "speech.flac").samples == from_file.samples);
  for (const Bytes& bad : {Bytes(wav.begin(), wav.begin() + 10000), Bytes{'h', 'i'}, Bytes{},
                           Bytes(flac.begin(), flac.begin() + static_cast<std::ptrdiff_t>(flac.size() / 2))}) {
    try {
      decode_audio_bytes(bad, "the input");
      FAIL("no error for " << bad.size() << " bytes");
    } catch (const UserError& e) {
      CHECK(std::string(e.what()).find("'the input'") != std::string::npos);
    }
  }
}

TEST_CASE("missing, truncated, corrupt and unsupported audio files: one-line UserError") {
  const Bytes wav = read_fixture("asterisk-to-extension.wav");
  const Bytes flac = make_compressor("flac")->compress(read_audio_bytes(kWav).samples);
  Bytes bad_magic = wav;
  bad_magic[8] = 'X';
  const std::vector<std::pair<std::string, Bytes>> broken = {
      {"truncated-data.wav", Bytes(wav.begin(), wav.begin() + 10000)},
      {"truncated-header.wav", Bytes(wav.begin(), wav.begin() + 30)},
      {"bad-magic.wav", bad_magic},
      {"empty.wav", Bytes{}},
      {"text.wav", Bytes{'h', 'e', 'l', 'l', 'o', '\n'}},
      {"truncated.flac", Bytes(flac.begin(), flac.begin() + static_cast<std::ptrdiff_t>(flac.size() / 2))},
  };
  for (const auto& [name, data] : broken) {
    CAPTURE(name);
    const std::string path = write_tmp(name, data);
    const std::string message = user_error_of(path);
    CHECK(message.find(path) != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    std::remove(path.c_str());
  }
  CHECK(user_error_of(tmp("does-not-exist.wav")).find("cannot open") != std::string::npos);
  CHECK(user_error_of("/tmp").find("directory") != std::string::npos);
  CHECK(user_error_of(write_tmp("t.wav", Bytes(wav.begin(), wav.begin() + 10000))).find("truncated") != std::string::npos);
  std::remove(tmp("t.wav").c_str());
}
