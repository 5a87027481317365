#pragma once
// Fuzz target "audio": the audio reader (src/media/audio_io.cpp: WAV, FLAC, Ogg, AIFF, ...
// through libsndfile, from memory) and the flac compressor's decoder (compressors/flac.cpp,
// libFLAC with its own checks on sample range, length, MD5 and trailing bytes).
//
// The outcome is the audio reader's. What it accepts has a sane rate and channel count; a
// stream the flac compressor decodes must survive being compressed and decoded again (up to
// 4 KB of it).
#include <string>

#include "fuzz/fuzz_common.hpp"
#include "zgen/audio.hpp"
#include "zgen/compressor.hpp"

namespace zgen::fuzz {

inline Outcome fuzz_audio(ByteView input) {
  static const auto flac = make_compressor("flac");
  (void)outcome_of([&] {
    const Bytes samples = flac->decompress(input);
    if (samples.size() <= 4096)
      check(flac->decompress(flac->compress(samples)) == samples, "flac's round trip changed the bytes");
  });
  return outcome_of([&] {
    const AudioBytes audio = decode_audio_bytes(input, "fuzz input");
    check(audio.channels >= 1 && audio.channels <= 1024 && audio.sample_rate > 0,
          "accepted audio with " + std::to_string(audio.channels) + " channels at " +
              std::to_string(audio.sample_rate) + " Hz");
  });
}

}  // namespace zgen::fuzz
