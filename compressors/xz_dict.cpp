// xz-dict:P — liblzma's LZMA2 at preset P, conditioned on the context through a preset dictionary
// instead of by recompressing it. The conditional variant of xz:P (README, "Code lengths, per family").
//
// Definition. Split the context c = h·t, t its last min(|c|, kTailBytes) bytes. Then
//   ℓ(x | c) = 8 · size of the raw LZMA2 stream (lzma_raw_encoder, no .xz container) of t·x,
//              with h as the preset dictionary (lzma_options_lzma.preset_dict),
// the LZMA2 options of preset P except the dictionary size, which is the smallest power of two
// ≥ max(4 KiB, |c·x|), at most the preset's own (so all of c is reachable, as in xz:P, and the
// match finder's tables are sized for what is there); the extra length is ℓ(x | c) − ℓ(ε | c).
// Why the tail: liblzma starts a stream with a preset dictionary from fresh probabilities, so x
// alone would be priced as a literal of flat probabilities (every byte the same) unless it
// matches; coding x after the recent text t prices it with what t taught the coder, while h is
// reachable through matches.
//
// The fast path. Loading h only inserts it into the match finder (no optimal parse over the
// context), and that is done once per context, not per candidate: liblzma cannot copy an encoder,
// but it takes every byte of memory it uses from an lzma_allocator, so the state gives it a
// SnapshotArena (snapshot_arena.hpp), and after the encoder is initialised with h it saves every
// block's bytes and the lzma_stream. Each candidate restores them, then codes t·x. This relies on
// liblzma keeping an encoder's whole state in the lzma_stream and in memory from its allocator
// (its only globals are constant tables), which tests/test_xz_dict.cpp checks in effect. Exact: the restored encoder is, byte for byte, the one initialised from scratch (tested
// against code_length_bits_given, which uses a fresh encoder and liblzma's own allocator).
// Whole bytes, as xz:P.
#include <lzma.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "compressors/families.hpp"
#include "compressors/snapshot_arena.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

constexpr std::size_t kTailBytes = 256;
constexpr std::uint32_t kMinDictionary = 4096;

std::size_t tail_size(std::size_t context) { return context < kTailBytes ? context : kTailBytes; }

std::uint32_t dictionary_size(std::uint32_t preset_dictionary, std::size_t bytes) {
  std::uint32_t d = kMinDictionary;
  while (d < bytes && d < preset_dictionary) d *= 2;
  return d < preset_dictionary ? d : preset_dictionary;
}

std::uint32_t dictionary_for(int preset, std::size_t bytes) {
  lzma_options_lzma opt{};
  if (lzma_lzma_preset(&opt, static_cast<std::uint32_t>(preset))) throw std::runtime_error("xz-dict: bad preset");
  return dictionary_size(opt.dict_size, bytes);
}

// The encoder of the definition, initialised with h as its preset dictionary: after this it
// has coded nothing, and every candidate's t·x is coded from here.
void init_encoder(lzma_stream& strm, int preset, ByteView context, std::uint32_t dict_size) {
  const std::size_t head = context.size() - tail_size(context.size());
  lzma_options_lzma opt{};
  if (lzma_lzma_preset(&opt, static_cast<std::uint32_t>(preset))) throw std::runtime_error("xz-dict: bad preset");
  opt.dict_size = dict_size;
  opt.preset_dict = head ? context.data() : nullptr;
  opt.preset_dict_size = static_cast<std::uint32_t>(head);
  const lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, nullptr}};
  if (lzma_raw_encoder(&strm, filters) != LZMA_OK) throw std::runtime_error("xz-dict: lzma_raw_encoder failed");
}

// Codes t·x (FINISH) on an initialised encoder; the bits it wrote.
double code_tail(lzma_stream& strm, ByteView context, ByteView x, Bytes& in, Bytes& out) {
  const std::size_t head = context.size() - tail_size(context.size());
  in.assign(context.begin() + static_cast<std::ptrdiff_t>(head), context.end());
  in.insert(in.end(), x.begin(), x.end());
  out.resize(lzma_stream_buffer_bound(in.size()));  // bounds the .xz file, so the raw stream too
  strm.next_in = in.data();
  strm.avail_in = in.size();
  strm.next_out = out.data();
  strm.avail_out = out.size();
  const std::uint64_t before = strm.total_out;
  const lzma_ret rc = lzma_code(&strm, LZMA_FINISH);
  if (rc != LZMA_STREAM_END) throw std::runtime_error("xz-dict: encoder did not finish (" + std::to_string(rc) + ")");
  return 8.0 * static_cast<double>(strm.total_out - before);
}

// A liblzma encoder whose memory is a SnapshotArena: initialised once per context, restored per
// candidate (with the lzma_stream, which holds the rest of its state).
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() { lzma_end(&strm_); }  // before memory_ frees the blocks

  lzma_stream& stream() { return strm_; }
  bool has_snapshot() const { return memory_.has_snapshot(); }
  void drop_snapshot() { memory_.drop_snapshot(); }
  void take_snapshot() {
    memory_.take_snapshot();
    saved_stream_ = strm_;
  }
  void restore() {
    memory_.restore();
    strm_ = saved_stream_;
  }

 private:
  static void* allocate(void* opaque, std::size_t count, std::size_t size) {
    if (size != 0 && count > SIZE_MAX / size) return nullptr;
    return SnapshotArena::allocate(opaque, count * size);
  }

  SnapshotArena memory_;
  lzma_allocator allocator_{&Arena::allocate, &SnapshotArena::release, &memory_};
  lzma_stream strm_ = [this] {
    lzma_stream s = LZMA_STREAM_INIT;
    s.allocator = &allocator_;
    return s;
  }();
  lzma_stream saved_stream_{};
};

class XzDictState final : public CodeLengthState {
 public:
  XzDictState(int preset, ByteView context) : preset_(preset), context_(context.begin(), context.end()) {}

  double context_bits() override {
    if (context_bits_ < 0) context_bits_ = bits_with({});
    return context_bits_;
  }
  double bits_with(ByteView continuation) override {
    // The dictionary size depends on |c·x|: one snapshot per size, rebuilt when it changes.
    const std::uint32_t dict = dictionary_for(preset_, context_.size() + continuation.size());
    if (!arena_->has_snapshot() || dict != snapshot_dict_) {
      arena_->drop_snapshot();
      init_encoder(arena_->stream(), preset_, context_, dict);
      arena_->take_snapshot();
      snapshot_dict_ = dict;
    } else {
      arena_->restore();
    }
    return code_tail(arena_->stream(), context_, continuation, in_, out_);
  }
  void append(ByteView committed) override {
    if (committed.empty()) return;
    context_.insert(context_.end(), committed.begin(), committed.end());
    arena_->drop_snapshot();
    context_bits_ = -1;
  }
  // A clone builds its own encoder (an arena cannot be shared between threads).
  std::unique_ptr<CodeLengthState> clone() const override {
    return std::make_unique<XzDictState>(preset_, context_);
  }

 private:
  int preset_;
  Bytes context_;
  double context_bits_ = -1;
  std::unique_ptr<Arena> arena_ = std::make_unique<Arena>();  // its address is in liblzma's state
  std::uint32_t snapshot_dict_ = 0;
  Bytes in_, out_;
};

class XzDict final : public Compressor {
 public:
  explicit XzDict(int preset) : preset_(preset), plain_(make_xz(preset)) {}

  std::string name() const override { return "xz-dict:" + std::to_string(preset_); }
  // Without a context the variant compresses as xz:P does (the .xz file, its window).
  Bytes compress(ByteView data) const override { return plain_->compress(data); }
  Bytes decompress(ByteView data) const override { return plain_->decompress(data); }
  double code_length_bits(ByteView data) const override { return plain_->code_length_bits(data); }
  std::size_t window_bytes() const override { return plain_->window_bytes(); }

  double code_length_bits_given(ByteView context, ByteView continuation) const override {
    lzma_stream strm = LZMA_STREAM_INIT;
    std::unique_ptr<lzma_stream, decltype(&lzma_end)> guard(&strm, lzma_end);
    init_encoder(strm, preset_, context, dictionary_for(preset_, context.size() + continuation.size()));
    Bytes in, out;
    return code_tail(strm, context, continuation, in, out);
  }
  std::unique_ptr<CodeLengthState> begin(ByteView context) const override {
    return std::make_unique<XzDictState>(preset_, context);
  }

 private:
  int preset_;
  std::unique_ptr<Compressor> plain_;
};

}  // namespace

std::unique_ptr<Compressor> make_xz_dict(int preset) { return std::make_unique<XzDict>(preset); }

}  // namespace zgen
