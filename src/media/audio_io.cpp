#include "zgen/audio.hpp"
#include "src/common/file_io.hpp"
#include "zgen/errors.hpp"

#include <sndfile.h>

#include <algorithm>
#include <cstdio>
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
// read_at(offset, n, out) reads n bytes at offset, false when they are not all there.
template <class ReadAt>
void check_wav_complete(const std::string& what, std::uint64_t file_size, ReadAt read_at) {
  unsigned char head[12];
  if (!read_at(0, 12, head) || std::memcmp(head, "RIFF", 4) != 0 || std::memcmp(head + 8, "WAVE", 4) != 0) return;
  std::uint64_t pos = 12;
  unsigned char chunk[8];
  while (read_at(pos, 8, chunk)) {
    const std::uint64_t size = le32(chunk + 4);
    if (std::memcmp(chunk, "data", 4) == 0) {
      if (size != 0 && size != 0xffffffffu && pos + 8 + size > file_size)
        throw UserError("cannot read audio '" + what + "': truncated (the data chunk holds " +
                        std::to_string(file_size - pos - 8) + " of its " + std::to_string(size) + " bytes)");
      return;
    }
    pos += 8 + size + (size & 1);
  }
}

// Decodes an open file: (frames, channels) interleaved 16-bit samples, a block at a time,
// mixed down to one byte per frame.
AudioBytes read_open_file(SNDFILE* file, const SF_INFO& info, const std::string& what) {
  if (info.channels < 1 || info.channels > 1024 || info.samplerate <= 0)
    throw UserError("cannot read audio '" + what + "': " + std::to_string(info.channels) + " channels at " +
                    std::to_string(info.samplerate) + " Hz");
  AudioBytes a;
  a.sample_rate = info.samplerate;
  a.channels = info.channels;
  constexpr sf_count_t kBlockFrames = 1 << 14;
  std::vector<short> block(static_cast<std::size_t>(kBlockFrames) * static_cast<std::size_t>(info.channels));
  for (;;) {
    const sf_count_t got = sf_readf_short(file, block.data(), kBlockFrames);
    if (got <= 0) break;
    for (sf_count_t f = 0; f < got; ++f) {
      std::int64_t sum = 0;
      for (int c = 0; c < info.channels; ++c) sum += block[static_cast<std::size_t>(f * info.channels + c)];
      a.samples.push_back(unsigned8_from_sum(sum, info.channels));
    }
  }
  if (sf_error(file) != SF_ERR_NO_ERROR) throw UserError("cannot read audio '" + what + "': " + sf_strerror(file));
  // The header's frame count (when it gives one) must have been delivered in full.
  if (info.frames != SF_COUNT_MAX && static_cast<sf_count_t>(a.samples.size()) < info.frames)
    throw UserError("cannot read audio '" + what + "': truncated (" + std::to_string(a.samples.size()) + " of " +
                    std::to_string(info.frames) + " frames)");
  return a;
}

using SndfilePtr = std::unique_ptr<SNDFILE, decltype(&sf_close)>;

// A file's bytes as libsndfile's virtual I/O: reads past the end give nothing, writes fail.
struct MemorySource {
  ByteView data;
  sf_count_t pos = 0;
  sf_count_t size() const { return static_cast<sf_count_t>(data.size()); }
};

sf_count_t memory_length(void* user) { return static_cast<MemorySource*>(user)->size(); }

sf_count_t memory_seek(sf_count_t offset, int whence, void* user) {
  auto& m = *static_cast<MemorySource*>(user);
  const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m.pos : m.size();
  if (offset < -base || offset > SF_COUNT_MAX - base) return -1;
  m.pos = base + offset;
  return m.pos;
}

sf_count_t memory_read(void* out, sf_count_t count, void* user) {
  auto& m = *static_cast<MemorySource*>(user);
  if (count <= 0 || m.pos >= m.size()) return 0;
  const sf_count_t n = std::min(count, m.size() - m.pos);
  std::memcpy(out, m.data.data() + m.pos, static_cast<std::size_t>(n));
  m.pos += n;
  return n;
}

sf_count_t memory_write(const void*, sf_count_t, void*) { return 0; }

sf_count_t memory_tell(void* user) { return static_cast<MemorySource*>(user)->pos; }

}  // namespace

std::uint8_t unsigned8_from_sum(std::int64_t sum, int channels) {
  const std::int64_t d = 256 * static_cast<std::int64_t>(channels);
  const std::int64_t q = sum >= 0 ? sum / d : -((-sum + d - 1) / d);  // floor(sum / d)
  return static_cast<std::uint8_t>(q + 128);
}

AudioBytes read_audio_bytes(const std::string& path) {
  const std::uint64_t size = check_input_file(path, "audio file").size;
  std::ifstream in(path, std::ios::binary);
  check_wav_complete(path, size, [&](std::uint64_t at, std::size_t n, unsigned char* out) {
    in.clear();
    return in.seekg(static_cast<std::streamoff>(at)) && in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
  });
  SF_INFO info{};
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info), sf_close);
  if (!file) throw UserError("cannot read audio '" + path + "': " + sf_strerror(nullptr));
  return read_open_file(file.get(), info, path);
}

AudioBytes decode_audio_bytes(ByteView data, const std::string& what) {
  check_wav_complete(what, data.size(), [&](std::uint64_t at, std::size_t n, unsigned char* out) {
    if (at > data.size() || n > data.size() - at) return false;
    std::memcpy(out, data.data() + at, n);
    return true;
  });
  MemorySource source{data};
  SF_VIRTUAL_IO io{memory_length, memory_seek, memory_read, memory_write, memory_tell};
  SF_INFO info{};
  SndfilePtr file(sf_open_virtual(&io, SFM_READ, &info, &source), sf_close);
  if (!file) throw UserError("cannot read audio '" + what + "': " + sf_strerror(nullptr));
  return read_open_file(file.get(), info, what);
}

}  // namespace zgen
