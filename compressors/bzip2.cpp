// bzip2:L — libbz2 with block size L·100 kB (work factor 30, the library's default).
//
// Code length, bit-exact. bzip2 writes bits MSB-first and ends the stream with the 48-bit
// end-of-stream magic 0x177245385090, the 32-bit combined CRC and 0–7 zero bits that pad to a
// byte. With n output bytes and k padding bits the magic starts at bit 8n − 80 − k, so we test
// k = 0..7 and return ℓ = 8n − k, the bits the encoder really produced.
//
// Why exactly one k matches: the true magic sits at some k; a match at k' = k ± d (1 ≤ d ≤ 7)
// would read the same 48-bit pattern shifted by d bits, overlapping the true one in 48 − d
// bits, which requires the magic to repeat itself with period d. It does not (checked below at
// compile time), whatever bits precede the magic or make up the CRC.
//
// begin() returns the state of zgen's bzip2 model (compressors/bzip2_model/), which gives the same
// lengths without libbz2 for one-byte and short continuations; for the rest, and wherever the
// model disagrees with the linked libbz2 (checked once per process), a state that recompresses
// c·x with libbz2 like code_length_bits, through the
// same calls BZ2_bzBuffToBuffCompress makes (BZ2_bzCompressInit, BZ2_bzCompress(BZ_FINISH),
// BZ2_bzCompressEnd) but with libbz2's memory kept by the state and handed out again: at level
// 9 libbz2 asks for 7.5 MB per stream, and fresh pages for every candidate cost three times the
// compression of a 30 KB context. What libbz2 writes does not depend on what its memory held
// before (it initialises what it reads), so the lengths are those of code_length_bits; the
// tests compare them on hundreds of cases, with memory left dirty by other inputs.
#include <bzlib.h>

#include <cstdint>
#include <memory>
#include <string>

#include "compressors/bzip2_model/model.hpp"
#include "compressors/families.hpp"
#include "compressors/gzip_guard.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

constexpr uint64_t kEndMagic = 0x177245385090ull;
constexpr int kMagicBits = 48;
constexpr int kTailBits = kMagicBits + 32;  // magic + combined CRC

// True when the 48-bit magic equals itself shifted by d bits over their overlap.
constexpr bool magic_has_period(int d) {
  for (int i = 0; i + d < kMagicBits; ++i) {
    const int a = (kEndMagic >> (kMagicBits - 1 - i)) & 1;
    const int b = (kEndMagic >> (kMagicBits - 1 - i - d)) & 1;
    if (a != b) return false;
  }
  return true;
}
constexpr bool magic_is_unambiguous() {
  for (int d = 1; d <= 7; ++d)
    if (magic_has_period(d)) return false;
  return true;
}
static_assert(magic_is_unambiguous(), "end-of-stream magic must not repeat with a period of 1..7 bits");

// The 48 bits of `s` starting at bit `pos` (MSB-first), or ~0 when out of range.
uint64_t bits48(const Bytes& s, int64_t pos) {
  if (pos < 0 || pos + kMagicBits > static_cast<int64_t>(8 * s.size())) return ~uint64_t{0};
  uint64_t v = 0;
  for (int i = 0; i < kMagicBits; ++i) {
    const int64_t p = pos + i;
    v = (v << 1) | ((s[static_cast<size_t>(p >> 3)] >> (7 - (p & 7))) & 1);
  }
  return v;
}

// The bits libbz2 really produced: the stream less its 0–7 padding bits (see the header).
double stream_bits(const Bytes& s) {
  const int64_t n_bits = 8 * static_cast<int64_t>(s.size());
  for (int k = 0; k <= 7; ++k)
    if (bits48(s, n_bits - kTailBits - k) == kEndMagic) return static_cast<double>(n_bits - k);
  throw std::runtime_error("bzip2: end-of-stream magic not found in libbz2's output");
}

void* pool_allocate(void* pool, int items, int size) {
  return static_cast<ZlibMemoryPool*>(pool)->allocate(static_cast<std::size_t>(items) * static_cast<std::size_t>(size));
}
void pool_release(void* pool, void* block) { static_cast<ZlibMemoryPool*>(pool)->release(block); }

// BZ2_bzBuffToBuffCompress's calls (work factor 0: the default, 30), memory from `pool`.
void compress_pooled(ByteView data, int level, ZlibMemoryPool& pool, Bytes& out) {
  if (data.size() > 0xffffffffu / 2) throw UserError("bzip2: input too large for one buffer");
  out.resize(data.size() + data.size() / 100 + 601);
  bz_stream bz{};
  bz.bzalloc = pool_allocate;
  bz.bzfree = pool_release;
  bz.opaque = &pool;
  if (BZ2_bzCompressInit(&bz, level, 0, 0) != BZ_OK) throw std::runtime_error("bzip2: BZ2_bzCompressInit failed");
  char empty = 0;
  bz.next_in = data.empty() ? &empty : const_cast<char*>(reinterpret_cast<const char*>(data.data()));
  bz.avail_in = static_cast<unsigned int>(data.size());
  bz.next_out = reinterpret_cast<char*>(out.data());
  bz.avail_out = static_cast<unsigned int>(out.size());
  const int rc = BZ2_bzCompress(&bz, BZ_FINISH);
  const std::size_t written = out.size() - bz.avail_out;
  BZ2_bzCompressEnd(&bz);
  if (rc != BZ_STREAM_END) throw std::runtime_error("bzip2: BZ2_bzCompress did not finish (" + std::to_string(rc) + ")");
  out.resize(written);
}

// ℓ(c·x) by recompressing, with the state's own libbz2 memory (one state per thread).
class Bzip2State final : public CodeLengthState {
 public:
  Bzip2State(int level, ByteView context)
      : level_(level), context_(context.begin(), context.end()), pool_(std::make_unique<ZlibMemoryPool>()) {}
  Bzip2State(const Bzip2State& other)
      : level_(other.level_), context_(other.context_), pool_(std::make_unique<ZlibMemoryPool>()),
        context_bits_(other.context_bits_) {}

  double context_bits() override {
    if (context_bits_ < 0) context_bits_ = bits_with({});
    return context_bits_;
  }
  double bits_with(ByteView continuation) override {
    scratch_.assign(context_.begin(), context_.end());
    scratch_.insert(scratch_.end(), continuation.begin(), continuation.end());
    compress_pooled(scratch_, level_, *pool_, out_);
    return stream_bits(out_);
  }
  void append(ByteView committed) override {
    context_.insert(context_.end(), committed.begin(), committed.end());
    context_bits_ = -1;
  }
  std::unique_ptr<CodeLengthState> clone() const override { return std::make_unique<Bzip2State>(*this); }

 private:
  int level_;
  Bytes context_, scratch_, out_;
  std::unique_ptr<ZlibMemoryPool> pool_;
  double context_bits_ = -1;
};

const char* bz_message(int rc) {
  switch (rc) {
    case BZ_DATA_ERROR_MAGIC: return "not a bzip2 stream";
    case BZ_DATA_ERROR: return "corrupt data (CRC or block structure)";
    case BZ_MEM_ERROR: return "out of memory";
    default: return "decoder error";
  }
}

class Bzip2 final : public Compressor {
 public:
  explicit Bzip2(int level) : level_(level) {}

  std::string name() const override { return "bzip2:" + std::to_string(level_); }

  Bytes compress(ByteView data) const override {
    if (data.size() > 0xffffffffu / 2) throw UserError("bzip2: input too large for one buffer");
    // The documented bound: 1% larger plus 600 bytes.
    Bytes out(data.size() + data.size() / 100 + 601);
    unsigned int len = static_cast<unsigned int>(out.size());
    // libbz2 refuses a null source even for 0 bytes, which an empty span may hold.
    char empty = 0;
    char* src = data.empty() ? &empty : const_cast<char*>(reinterpret_cast<const char*>(data.data()));
    const int rc = BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out.data()), &len, src,
                                            static_cast<unsigned int>(data.size()), level_, 0, 0);
    if (rc != BZ_OK) throw std::runtime_error("bzip2: BZ2_bzBuffToBuffCompress failed (" + std::to_string(rc) + ")");
    out.resize(len);
    return out;
  }

  Bytes decompress(ByteView data) const override {
    if (data.size() > 0xffffffffu) throw UserError("bzip2: input too large for one buffer");
    bz_stream bz{};
    if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK) throw std::runtime_error("bzip2: BZ2_bzDecompressInit failed");
    std::unique_ptr<bz_stream, decltype(&BZ2_bzDecompressEnd)> guard(&bz, BZ2_bzDecompressEnd);
    bz.next_in = const_cast<char*>(reinterpret_cast<const char*>(data.data()));
    bz.avail_in = static_cast<unsigned int>(data.size());
    Bytes out;
    Bytes buf(1 << 16);
    int rc = BZ_OK;
    while (rc == BZ_OK) {
      bz.next_out = reinterpret_cast<char*>(buf.data());
      bz.avail_out = static_cast<unsigned int>(buf.size());
      rc = BZ2_bzDecompress(&bz);
      const size_t got = buf.size() - bz.avail_out;
      out.insert(out.end(), buf.data(), buf.data() + got);
      // All input consumed, output space left over, stream not ended: the rest is missing.
      if (rc == BZ_OK && bz.avail_in == 0 && bz.avail_out != 0) throw UserError("bzip2: truncated stream");
    }
    if (rc != BZ_STREAM_END) throw UserError(std::string("bzip2: ") + bz_message(rc));
    if (bz.avail_in != 0)
      throw UserError("bzip2: trailing data after the end of the stream (" + std::to_string(bz.avail_in) + " bytes)");
    return out;
  }

  double code_length_bits(ByteView data) const override { return stream_bits(compress(data)); }

  // The fast path (bzip2_model/): libbz2's stages reproduced, the context's block sorted once
  // and each continuation's new rotations inserted. Where the model disagrees with the linked
  // libbz2 (checked once), the state recompresses with libbz2.
  std::unique_ptr<CodeLengthState> begin(ByteView context) const override {
    if (bzip2_fast_path_verified(*this))
      return bzip2_model_state(level_, context, std::make_unique<Bzip2State>(level_, context));
    return std::make_unique<Bzip2State>(level_, context);
  }

  bool bit_exact() const override { return true; }
  std::size_t window_bytes() const override { return static_cast<std::size_t>(level_) * 100000; }

 private:
  int level_;
};

}  // namespace

std::unique_ptr<Compressor> make_bzip2(int level) { return std::make_unique<Bzip2>(level); }

}  // namespace zgen
