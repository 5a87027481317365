#pragma once
// The flac fast path: ℓ(c·x) of the flac family (compressors/flac.cpp) from frames encoded once,
// equal to Flac::code_length_bits(c·x).
//
// Why frames can be reused (libFLAC 1.4.2, stream_encoder.c): a mono stream is "fLaC", the
// STREAMINFO block (fixed size: 4 + 34 bytes; its sample count, frame sizes and MD5 are
// fixed-width fields) and the frames; compress() drops the VORBIS_COMMENT block. Each frame is
// coded from its own samples only: process_frame_ keeps nothing from one frame to the next for a
// single channel, and every choice (windows, LPC orders, Rice partitions) depends on the frame's
// samples and its block size. The one field that depends on the position is the frame number in
// the header (UTF-8 coded: 1 byte below 128, 2 below 2048, …). So
//
//   ℓ(c·x) = 8 · (42 + Σ frames of c·x),
//
// where the complete 4096-sample frames of c are encoded once, and the rest is encoded as a
// stream of its own with the frame numbers' byte lengths corrected. For one-byte candidates the
// last frame has the same length L for every candidate: libFLAC encodes a batch of candidates'
// last frames as consecutive frames of one stream whose block size is L (the last frame of
// c·x is coded with block size L too: resize_buffers_ recomputes the windows for it), which
// shares the encoder's set-up over the batch. The predictor hands each thread whole groups of up
// to 64 candidates (group_size()), each group one batch stream, so that two threads encode half
// the frames each rather than each encoding the batches of all the candidates it is handed.
// After a step c ← c·v, ℓ(c) is the ℓ(c·v) already costed for v when this state costed it.
//
// Exactness rests on libFLAC's frames being independent as described; the tests compare with
// recompression on hundreds of cases, and flac_fast_path_verified() checks it once per process.
#include <FLAC/stream_encoder.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "zgen/compressor.hpp"

namespace zgen {

inline constexpr unsigned kFlacBlockSize = 4096;  // level 8's block size
inline constexpr unsigned kFlacSampleRate = 16000;
inline constexpr unsigned kFlacBitsPerSample = 8;
inline constexpr unsigned kFlacLevel = 8;

// The flac family's encoder settings (before init): no verification, level 8, 8-bit mono at
// 16 kHz, the given sample-count estimate, and a block size (0: the level's, 4096).
bool configure_flac_encoder(FLAC__StreamEncoder* encoder, std::uint64_t total_samples, unsigned blocksize = 0);

// The byte size of each frame libFLAC writes for `samples` (bytes as unsigned 8-bit samples)
// with the family's settings and the given block size. Throws on a libFLAC failure.
std::vector<std::size_t> flac_frame_sizes(ByteView samples, unsigned blocksize = kFlacBlockSize);

// The fast path's state after `context`; `flac` recompresses what the model does not cover
// (empty data).
std::unique_ptr<CodeLengthState> flac_model_state(const Compressor& flac, ByteView context);

// Checked once per process (thread-safe): the fast path equals `flac`'s code_length_bits on
// built-in signals (one frame, several frames, short tails). On a difference begin()
// recompresses and one warning line goes to stderr.
bool flac_fast_path_verified(const Compressor& flac);

}  // namespace zgen
