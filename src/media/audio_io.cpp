#include "zgen/audio.hpp"
#include "src/common/file_io.hpp"
#include "zgen/errors.hpp"

#include <sndfile.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

namespace zgen {
namespace {

std::uint32_t le32(const unsigned char* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

// libsndfile reads a WAV whose data chunk is cut short as if it were whole (it shortens the
// frame count to what is there), so a truncated WAV is caught here: the RIFF chunks are walked
// to "data", whose declared size must fit in the file. Sizes 0 and 0xFFFFFFFF mean "unknown"
// (WAVs written to a pipe) and are accepted. Other formats are left to libsndfile.
void check_wav_complete(const std::string& path, std::uint64_t file_size) {
  std::ifstream in(path, std::ios::binary);
  unsigned char head[12];
  if (!in.read(reinterpret_cast<char*>(head), 12) || std::memcmp(head, "RIFF", 4) != 0 ||
      std::memcmp(head + 8, "WAVE", 4) != 0)
    return;
  std::uint64_t pos = 12;
  unsigned char chunk[8];
  while (in.read(reinterpret_cast<char*>(chunk), 8)) {
    const std::uint64_t size = le32(chunk + 4);
    if (std::memcmp(chunk, "data", 4) == 0) {
      if (size != 0 && size != 0xffffffffu && pos + 8 + size > file_size)
        throw UserError("cannot read audio '" + path + "': truncated (the data chunk holds " +
                        std::to_string(file_size - pos - 8) + " of its " + std::to_string(size) + " bytes)");
      return;
    }
    pos += 8 + size + (size & 1);
    if (!in.seekg(static_cast<std::streamoff>(pos))) return;
  }
}

}  // namespace

std::uint8_t unsigned8_from_sum(std::int64_t sum, int channels) {
  const std::int64_t d = 256 * static_cast<std::int64_t>(channels);
  const std::int64_t q = sum >= 0 ? sum / d : -((-sum + d - 1) / d);  // floor(sum / d)
  return static_cast<std::uint8_t>(q + 128);
}

AudioBytes read_audio_bytes(const std::string& path) {
  check_wav_complete(path, check_input_file(path, "audio file").size);
  SF_INFO info{};
  std::unique_ptr<SNDFILE, decltype(&sf_close)> file(sf_open(path.c_str(), SFM_READ, &info), sf_close);
  if (!file) throw UserError("cannot read audio '" + path + "': " + sf_strerror(nullptr));
  if (info.channels < 1 || info.channels > 1024 || info.samplerate <= 0)
    throw UserError("cannot read audio '" + path + "': " + std::to_string(info.channels) + " channels at " +
                    std::to_string(info.samplerate) + " Hz");

  AudioBytes a;
  a.sample_rate = info.samplerate;
  a.channels = info.channels;
  // (frames, channels) interleaved 16-bit samples, a block at a time.
  constexpr sf_count_t kBlockFrames = 1 << 14;
  std::vector<short> block(static_cast<std::size_t>(kBlockFrames) * static_cast<std::size_t>(info.channels));
  for (;;) {
    const sf_count_t got = sf_readf_short(file.get(), block.data(), kBlockFrames);
    if (got <= 0) break;
    for (sf_count_t f = 0; f < got; ++f) {
      std::int64_t sum = 0;
      for (int c = 0; c < info.channels; ++c) sum += block[static_cast<std::size_t>(f * info.channels + c)];
      a.samples.push_back(unsigned8_from_sum(sum, info.channels));
    }
  }
  if (sf_error(file.get()) != SF_ERR_NO_ERROR)
    throw UserError("cannot read audio '" + path + "': " + sf_strerror(file.get()));
  // The header's frame count (when it gives one) must have been delivered in full.
  if (info.frames != SF_COUNT_MAX && static_cast<sf_count_t>(a.samples.size()) < info.frames)
    throw UserError("cannot read audio '" + path + "': truncated (" + std::to_string(a.samples.size()) + " of " +
                    std::to_string(info.frames) + " frames)");
  return a;
}

}  // namespace zgen
