// The flac fast path (see flac_model.hpp for why frames can be reused and batched).
#include "compressors/flac_model.hpp"

#include <FLAC/stream_encoder.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>

#include "src/common/rng.hpp"

// Exported by libFLAC (FLAC_API in stream_encoder.c, every 1.x release) but declared only in its
// private headers. MD5 of the samples goes into STREAMINFO's fixed-width md5sum field alone, so it
// changes no frame size; frame sizes skip it (10–15% of a 2049-sample frame's CPU time at level 8).
extern "C" FLAC_API FLAC__bool FLAC__stream_encoder_set_do_md5(FLAC__StreamEncoder* encoder, FLAC__bool value);

namespace zgen {
namespace {

constexpr std::size_t kMetadataBytes = 4 + 4 + 34;  // "fLaC", STREAMINFO's header and body
constexpr std::size_t kMinBatchBlock = 16;          // FLAC__MIN_BLOCK_SIZE: shorter tails go alone
constexpr std::size_t kBatch = 64;                  // candidates' frames per batch stream

using EncoderPtr = std::unique_ptr<FLAC__StreamEncoder, decltype(&FLAC__stream_encoder_delete)>;

// Bytes of a frame number in a frame header (FLAC's UTF-8-like code, up to 36 bits).
std::size_t number_bytes(std::uint64_t v) {
  if (v < 0x80) return 1;
  if (v < 0x800) return 2;
  if (v < 0x10000) return 3;
  if (v < 0x200000) return 4;
  if (v < 0x4000000) return 5;
  if (v < 0x80000000) return 6;
  return 7;
}

FLAC__StreamEncoderWriteStatus record_frame(const FLAC__StreamEncoder*, const FLAC__byte[], size_t bytes, uint32_t samples,
                                            uint32_t, void* client) {
  // Metadata comes with samples == 0; libFLAC writes each frame with one call.
  if (samples > 0) static_cast<std::vector<std::size_t>*>(client)->push_back(bytes);
  return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
}

}  // namespace

bool configure_flac_encoder(FLAC__StreamEncoder* encoder, std::uint64_t total_samples, unsigned blocksize) {
  bool ok = FLAC__stream_encoder_set_verify(encoder, false) &&
            FLAC__stream_encoder_set_compression_level(encoder, kFlacLevel) &&
            FLAC__stream_encoder_set_channels(encoder, 1) &&
            FLAC__stream_encoder_set_bits_per_sample(encoder, kFlacBitsPerSample) &&
            FLAC__stream_encoder_set_sample_rate(encoder, kFlacSampleRate) &&
            FLAC__stream_encoder_set_total_samples_estimate(encoder, total_samples);
  if (ok && blocksize != 0) ok = FLAC__stream_encoder_set_blocksize(encoder, blocksize);
  return ok;
}

std::vector<std::size_t> flac_frame_sizes(ByteView samples, unsigned blocksize) {
  std::vector<std::size_t> sizes;
  EncoderPtr enc(FLAC__stream_encoder_new(), FLAC__stream_encoder_delete);
  if (!enc) throw std::bad_alloc();
  bool ok = configure_flac_encoder(enc.get(), samples.size(), blocksize) &&
            FLAC__stream_encoder_set_do_md5(enc.get(), false) &&
            FLAC__stream_encoder_init_stream(enc.get(), record_frame, nullptr, nullptr, nullptr, &sizes) ==
                FLAC__STREAM_ENCODER_INIT_STATUS_OK;
  std::vector<FLAC__int32> buf(std::min<std::size_t>(samples.size(), std::size_t{1} << 16));
  for (std::size_t done = 0; ok && done < samples.size(); done += buf.size()) {
    const std::size_t n = std::min(buf.size(), samples.size() - done);
    for (std::size_t i = 0; i < n; ++i) buf[i] = FLAC__int32{samples[done + i]} - 128;
    ok = FLAC__stream_encoder_process_interleaved(enc.get(), buf.data(), static_cast<uint32_t>(n));
  }
  ok = FLAC__stream_encoder_finish(enc.get()) && ok;
  if (!ok)
    throw std::runtime_error(std::string("flac: libFLAC failed to encode (") +
                             FLAC__stream_encoder_get_resolved_state_string(enc.get()) + ")");
  return sizes;
}

namespace {

class FlacModelState final : public CodeLengthState {
 public:
  FlacModelState(const Compressor& flac, ByteView context) : flac_(flac), context_(context.begin(), context.end()) {
    add_complete_frames();
  }

  double context_bits() override {
    if (context_bits_ < 0) context_bits_ = bits_with({});
    return context_bits_;
  }

  double bits_with(ByteView x) override {
    const std::size_t n = context_.size();
    if (n + x.size() == 0) return flac_.code_length_bits({});  // no frame at all
    const std::size_t start = frames_.size() * kFlacBlockSize;
    const std::size_t tail = n - start + x.size();
    if (x.size() == 1 && tail >= kMinBatchBlock) return batched(x[0]);
    tail_.assign(context_.begin() + static_cast<std::ptrdiff_t>(start), context_.end());
    tail_.insert(tail_.end(), x.begin(), x.end());
    std::size_t bytes = kMetadataBytes + committed_bytes_;
    const std::vector<std::size_t> sizes = flac_frame_sizes(tail_);
    for (std::size_t j = 0; j < sizes.size(); ++j) bytes += sizes[j] + number_bytes(frames_.size() + j) - number_bytes(j);
    return 8.0 * static_cast<double>(bytes);
  }

  std::size_t group_size() const override { return kBatch; }

  // One-byte candidates share one batch stream (whatever their values); anything else goes
  // one by one.
  void bits_with_each(std::span<const Bytes> xs, std::span<double> out) override {
    const std::size_t tail = context_.size() - frames_.size() * kFlacBlockSize + 1;
    const bool one_byte = std::all_of(xs.begin(), xs.end(), [](const Bytes& x) { return x.size() == 1; });
    if (!one_byte || tail < kMinBatchBlock || xs.size() > kBatch) {
      CodeLengthState::bits_with_each(xs, out);
      return;
    }
    std::array<std::uint8_t, kBatch> values;
    std::size_t missing = 0;
    for (const Bytes& x : xs)
      if (!cached_[x[0]]) values[missing++] = x[0];
    if (missing > 0) last_frames(std::span<const std::uint8_t>(values.data(), missing));
    for (std::size_t i = 0; i < xs.size(); ++i) out[i] = bits_[xs[i][0]];
  }

  void append(ByteView committed) override {
    // ℓ(c) after c ← c·v is the ℓ(c·v) already costed for the candidate v, if it was: sampling
    // needs no frame of its own per step for ℓ(c).
    context_bits_ = committed.size() == 1 && cached_[committed[0]] ? bits_[committed[0]] : -1;
    context_.insert(context_.end(), committed.begin(), committed.end());
    cached_.fill(false);
    add_complete_frames();
  }

  std::unique_ptr<CodeLengthState> clone() const override { return std::make_unique<FlacModelState>(*this); }

 private:
  // Frames that lie wholly inside the context, encoded once; numbered from 0 in their own
  // stream, from frames_.size() in c·x.
  void add_complete_frames() {
    const std::size_t first = frames_.size(), last = context_.size() / kFlacBlockSize;
    if (last == first) return;
    const std::vector<std::size_t> sizes = flac_frame_sizes(
        ByteView(context_.data() + first * kFlacBlockSize, (last - first) * kFlacBlockSize));
    if (sizes.size() != last - first) throw std::runtime_error("flac: libFLAC wrote an unexpected number of frames");
    for (std::size_t j = 0; j < sizes.size(); ++j) {
      frames_.push_back(sizes[j] + number_bytes(first + j) - number_bytes(j));
      committed_bytes_ += frames_.back();
    }
  }

  // ℓ(c·v): the last frame of c·v from a batch of candidates' last frames (see the header).
  double batched(std::uint8_t v) {
    if (!cached_[v]) {
      std::array<std::uint8_t, kBatch> values;
      const std::size_t first = v / kBatch * kBatch;
      for (std::size_t j = 0; j < kBatch; ++j) values[j] = static_cast<std::uint8_t>(first + j);
      last_frames(values);
    }
    return bits_[v];
  }

  // ℓ(c·v) for each of `values` (at most kBatch of them, so that every frame number in the batch
  // stream takes one byte), into bits_ and cached_: the candidates' last frames are the
  // consecutive frames of one stream whose block size is the last frame's.
  void last_frames(std::span<const std::uint8_t> values) {
    const std::size_t start = frames_.size() * kFlacBlockSize;
    const ByteView head(context_.data() + start, context_.size() - start);
    const std::size_t length = head.size() + 1;
    tail_.clear();
    for (const std::uint8_t v : values) {
      tail_.insert(tail_.end(), head.begin(), head.end());
      tail_.push_back(v);
    }
    const std::vector<std::size_t> sizes = flac_frame_sizes(tail_, static_cast<unsigned>(length));
    if (sizes.size() != values.size()) throw std::runtime_error("flac: libFLAC wrote an unexpected number of frames");
    for (std::size_t j = 0; j < values.size(); ++j) {
      const std::size_t frame = sizes[j] + number_bytes(frames_.size()) - number_bytes(j);
      bits_[values[j]] = 8.0 * static_cast<double>(kMetadataBytes + committed_bytes_ + frame);
      cached_[values[j]] = true;
    }
  }

  const Compressor& flac_;
  Bytes context_;
  std::vector<std::size_t> frames_;  // byte sizes of the context's complete frames, as numbered in c·x
  std::size_t committed_bytes_ = 0;  // their sum
  double context_bits_ = -1;
  std::array<double, 256> bits_{};   // ℓ(c·v) of one-byte candidates, valid where cached_
  std::array<bool, 256> cached_{};
  Bytes tail_;
};

}  // namespace

std::unique_ptr<CodeLengthState> flac_model_state(const Compressor& flac, ByteView context) {
  return std::make_unique<FlacModelState>(flac, context);
}

// Built-in signals: a chirp with noise (LPC frames), silence with clicks (constant and verbatim
// subframes), at lengths with one frame, several, and tails shorter than a batch block.
bool flac_fast_path_verified(const Compressor& flac) {
  static std::once_flag once;
  static bool verified = false;
  std::call_once(once, [&] {
    SplitMix64 rng{4096};
    verified = true;
    for (const std::size_t n : {std::size_t{5}, std::size_t{700}, std::size_t{4096}, std::size_t{9000}}) {
      Bytes signal(n);
      for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i);
        signal[i] = (i / 1500) % 2 ? static_cast<std::uint8_t>(128 + (rng.next() % 50 == 0 ? 40 : 0))
                                   : static_cast<std::uint8_t>(128 + 60 * std::sin(t * t * 1e-5) + static_cast<double>(rng.next() % 7));
      }
      auto state = flac_model_state(flac, signal);
      Bytes with = signal;
      with.push_back(0);
      for (const std::uint8_t b : {std::uint8_t{0}, std::uint8_t{128}, std::uint8_t{201}}) {
        with.back() = b;
        if (state->bits_with(ByteView(&b, 1)) != flac.code_length_bits(with)) verified = false;
      }
      if (state->context_bits() != flac.code_length_bits(signal)) verified = false;
    }
    if (!verified)
      std::fprintf(stderr,
                   "zgen: warning: the linked libFLAC %s does not code frames as the flac fast path expects; flac "
                   "code lengths are computed by recompressing (exact, slower)\n",
                   FLAC__VERSION_STRING);
  });
  return verified;
}

}  // namespace zgen
