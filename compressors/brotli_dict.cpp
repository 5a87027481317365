// brotli-dict:Q — the brotli encoder at quality Q, conditioned on the context as its own history,
// compressed once, instead of by recompressing it for every candidate. The conditional variant of
// brotli:Q (README, "Code lengths, per family").
//
// Definition. Split the context c = h·t: h is the longest prefix whose length is a multiple of
// kStrideBytes and leaves at least kTailBytes after it (empty while |c| ≤ kTailBytes), so t holds
// the last kTailBytes to kTailBytes + kStrideBytes − 1 bytes and h changes once every kStrideBytes
// bytes of a growing context. A brotli encoder
// (streaming API, quality Q, generic mode, window 2^W) is given h and flushed
// (BROTLI_OPERATION_FLUSH: h's meta-blocks are complete and byte-aligned); then
//   ℓ(x | c) = 8 · the bytes it writes for t·x and the end of the stream (BROTLI_OPERATION_FINISH),
// W the smallest window of 10..24 whose 2^W − 16 bytes hold c·x (all of c is reachable, as in
// brotli:Q, and the encoder's tables are sized for what is there); the extra length is
// ℓ(x | c) − ℓ(ε | c). Without h nothing is flushed.
// Why the tail: a meta-block carries its own prefix codes, built from what it codes, so x alone
// would be priced by a code made for x alone (every byte the same); coded with the recent text t,
// x is priced by t's statistics, while h is reachable through copies.
//
// The fast path. The brotli encoder cannot be copied, but it takes every byte of its state from
// the allocator given to BrotliEncoderCreateInstance: the state gives it a SnapshotArena
// (snapshot_arena.hpp), compresses h once, saves the arena, and each candidate restores it and
// codes t·x. Compressing h is the costly part (about as much as a hundred candidates at quality
// 11), hence the stride: while sampling, it is done once per kStrideBytes steps, not per step. Exact: the restored encoder is, byte for byte, the one that just
// flushed h (tested against code_length_bits_given, which runs a fresh encoder on brotli's own
// allocator). Whole bytes, as brotli:Q.
#include <brotli/encode.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "compressors/families.hpp"
#include "compressors/snapshot_arena.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

constexpr std::size_t kTailBytes = 256;
constexpr std::size_t kStrideBytes = 256;
constexpr int kMinWindowBits = BROTLI_MIN_WINDOW_BITS;  // 10
constexpr int kMaxWindowBits = BROTLI_MAX_WINDOW_BITS;  // 24

std::size_t head_size(std::size_t context) {
  return context <= kTailBytes ? 0 : (context - kTailBytes) / kStrideBytes * kStrideBytes;
}

int window_bits_for(std::size_t bytes) {
  int w = kMinWindowBits;
  while (w < kMaxWindowBits && (std::size_t{1} << w) - 16 < bytes) ++w;
  return w;
}

// A new encoder of the definition; memory from the arena, or brotli's own allocator without one.
BrotliEncoderState* new_encoder(int quality, int window_bits, SnapshotArena* arena) {
  BrotliEncoderState* s = arena ? BrotliEncoderCreateInstance(&SnapshotArena::allocate, &SnapshotArena::release, arena)
                                : BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
  if (!s) throw std::runtime_error("brotli-dict: BrotliEncoderCreateInstance failed");
  if (!BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, static_cast<std::uint32_t>(quality)) ||
      !BrotliEncoderSetParameter(s, BROTLI_PARAM_LGWIN, static_cast<std::uint32_t>(window_bits)) ||
      !BrotliEncoderSetParameter(s, BROTLI_PARAM_MODE, BROTLI_MODE_GENERIC))
    throw std::runtime_error("brotli-dict: BrotliEncoderSetParameter failed");
  return s;
}

// Feeds `in` with `op` until it is consumed and every output byte is taken (and, for FINISH,
// the stream ended); the bytes written.
std::size_t feed(BrotliEncoderState* s, ByteView in, BrotliEncoderOperation op) {
  static const std::uint8_t kNone = 0;  // brotli wants a pointer even for no input
  const std::uint8_t* next_in = in.empty() ? &kNone : in.data();
  std::size_t avail_in = in.size(), written = 0;
  for (;;) {
    std::size_t avail_out = 0;
    std::uint8_t* next_out = nullptr;
    if (!BrotliEncoderCompressStream(s, op, &avail_in, &next_in, &avail_out, &next_out, nullptr))
      throw std::runtime_error("brotli-dict: BrotliEncoderCompressStream failed");
    std::size_t taken = 0;  // 0: take all there is
    BrotliEncoderTakeOutput(s, &taken);
    written += taken;
    const bool done = op == BROTLI_OPERATION_FINISH ? BrotliEncoderIsFinished(s) != 0
                                                    : avail_in == 0 && !BrotliEncoderHasMoreOutput(s);
    if (done) return written;
  }
}

ByteView head_of(ByteView context) { return context.first(head_size(context.size())); }

// t·x: the tail of the context, then the continuation.
void tail_then(ByteView context, ByteView x, Bytes& out) {
  out.assign(context.begin() + static_cast<std::ptrdiff_t>(head_size(context.size())), context.end());
  out.insert(out.end(), x.begin(), x.end());
}

class BrotliDictState final : public CodeLengthState {
 public:
  BrotliDictState(int quality, ByteView context) : quality_(quality), context_(context.begin(), context.end()) {}

  double context_bits() override {
    if (context_bits_ < 0) context_bits_ = bits_with({});
    return context_bits_;
  }
  double bits_with(ByteView continuation) override {
    // The window depends on |c·x|: one snapshot per window, made again when it changes.
    const int window_bits = window_bits_for(context_.size() + continuation.size());
    if (!arena_->has_snapshot() || window_bits != snapshot_window_bits_) {
      arena_->drop_snapshot();
      if (encoder_) BrotliEncoderDestroyInstance(encoder_);
      encoder_ = new_encoder(quality_, window_bits, arena_.get());
      const ByteView head = head_of(context_);
      if (!head.empty()) feed(encoder_, head, BROTLI_OPERATION_FLUSH);
      arena_->take_snapshot();
      snapshot_window_bits_ = window_bits;
    } else {
      arena_->restore();
    }
    tail_then(context_, continuation, in_);
    return 8.0 * static_cast<double>(feed(encoder_, in_, BROTLI_OPERATION_FINISH));
  }
  void append(ByteView committed) override {
    if (committed.empty()) return;
    const std::size_t head = head_size(context_.size());
    context_.insert(context_.end(), committed.begin(), committed.end());
    if (head_size(context_.size()) != head) arena_->drop_snapshot();  // else h, flushed, is still the state
    context_bits_ = -1;
  }
  // A clone builds its own encoder (an arena cannot be shared between threads).
  std::unique_ptr<CodeLengthState> clone() const override {
    return std::make_unique<BrotliDictState>(quality_, context_);
  }

 private:
  int quality_;
  Bytes context_;
  double context_bits_ = -1;
  // The encoder lives in the arena's memory (never destroyed on its own: the arena frees it all).
  std::unique_ptr<SnapshotArena> arena_ = std::make_unique<SnapshotArena>();
  BrotliEncoderState* encoder_ = nullptr;
  int snapshot_window_bits_ = 0;
  Bytes in_;
};

class BrotliDict final : public Compressor {
 public:
  explicit BrotliDict(int quality) : quality_(quality), plain_(make_brotli(quality)) {}

  std::string name() const override { return "brotli-dict:" + std::to_string(quality_); }
  // Without a context the variant compresses as brotli:Q does (its stream, its window).
  Bytes compress(ByteView data) const override { return plain_->compress(data); }
  Bytes decompress(ByteView data) const override { return plain_->decompress(data); }
  double code_length_bits(ByteView data) const override { return plain_->code_length_bits(data); }
  std::size_t window_bytes() const override { return plain_->window_bytes(); }

  double code_length_bits_given(ByteView context, ByteView continuation) const override {
    std::unique_ptr<BrotliEncoderState, decltype(&BrotliEncoderDestroyInstance)> s(
        new_encoder(quality_, window_bits_for(context.size() + continuation.size()), nullptr),
        BrotliEncoderDestroyInstance);
    const ByteView head = head_of(context);
    if (!head.empty()) feed(s.get(), head, BROTLI_OPERATION_FLUSH);
    Bytes in;
    tail_then(context, continuation, in);
    return 8.0 * static_cast<double>(feed(s.get(), in, BROTLI_OPERATION_FINISH));
  }
  std::unique_ptr<CodeLengthState> begin(ByteView context) const override {
    return std::make_unique<BrotliDictState>(quality_, context);
  }

 private:
  int quality_;
  std::unique_ptr<Compressor> plain_;
};

}  // namespace

std::unique_ptr<Compressor> make_brotli_dict(int quality) { return std::make_unique<BrotliDict>(quality); }

}  // namespace zgen
