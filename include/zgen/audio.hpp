#pragma once
// Audio as bytes, the paper's protocol: mono, 8-bit unsigned samples, one byte per sample.
#include <cstdint>
#include <string>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"

namespace zgen {

struct AudioBytes {
  Bytes samples;         // one byte per frame: 8-bit unsigned, 128 is silence
  int sample_rate = 0;   // the file's, in Hz
  int channels = 0;      // the file's, before the mixdown
};

// Reads any file libsndfile decodes (WAV, FLAC, OGG/Vorbis, AIFF, …), recognised by its
// content, not its name. Each frame is read as signed 16-bit samples (libsndfile scales other
// depths and floats to that range), the channels are averaged, and the 16-bit value x becomes
// floor(x / 256) + 128: 256 consecutive 16-bit values per 8-bit value, 0..255, so
// −32768 → 0, −1 → 127, 0 → 128, 32767 → 255. With C channels the same floor applies to the
// sum: floor(Σx / (256·C)) + 128.
// Throws UserError with a one-line message for a missing, unreadable, corrupt or unsupported
// file, and for a truncated one where the format tells (a WAV whose data chunk is cut short,
// a FLAC with fewer samples than its STREAMINFO names; an Ogg cut at a page boundary reads as a
// shorter stream).
AudioBytes read_audio_bytes(const std::string& path);
// The same from a file's bytes (through libsndfile's virtual I/O, no temporary file); `what`
// names the source in messages.
AudioBytes decode_audio_bytes(ByteView data, const std::string& what);

// The byte for a sum of `channels` signed 16-bit samples (the rule above).
std::uint8_t unsigned8_from_sum(std::int64_t sum, int channels);

}  // namespace zgen
