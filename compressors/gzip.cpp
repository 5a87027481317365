// gzip:L — zlib's deflate (windowBits 15, memLevel 8, default strategy) in a gzip container.
//
// Code length, bit-exact: a gzip file is a 10-byte header, the raw deflate stream and an
// 8-byte trailer. The deflate stream of d, completed with Z_BLOCK, ends at a bit position that
// zlib reports through deflatePending; the final-block flag and the byte padding are the same
// for every continuation, so they are left out. ℓ(d) = 8·18 + deflate_bits(d).
//
// code_length_bits asks zlib itself and is the reference. begin() returns the fast path: the
// zgen deflate model (compressors/deflate/model.hpp), which takes zlib's decisions one by one and
// counts bits, so that ℓ(c·x) equals code_length_bits(c·x) exactly, provided the linked zlib
// makes 1.2.13's choices: gzip_guard.cpp checks that once, and begin() recompresses if not.
#include <zlib.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "compressors/deflate/model.hpp"
#include "compressors/families.hpp"
#include "compressors/gzip_guard.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

constexpr int kWindowBits = 15;
constexpr int kMemLevel = 8;
constexpr double kGzipFramingBits = 8.0 * (10 + 8);

void* pool_allocate(voidpf pool, uInt items, uInt size) {
  return static_cast<ZlibMemoryPool*>(pool)->allocate(std::size_t{items} * size);
}
void pool_release(voidpf pool, voidpf block) { static_cast<ZlibMemoryPool*>(pool)->release(block); }

// ℓ(c·x) from the deflate model's committed state after c.
class GzipState final : public CodeLengthState {
 public:
  GzipState(int level, ByteView context) : model_(level) { model_.append(context); }

  double context_bits() override {
    if (context_bits_ < 0) context_bits_ = kGzipFramingBits + static_cast<double>(model_.bits());
    return context_bits_;
  }
  double bits_with(ByteView continuation) override {
    return kGzipFramingBits + static_cast<double>(model_.bits_with(continuation));
  }
  void append(ByteView committed) override {
    model_.append(committed);
    context_bits_ = -1;
  }
  std::unique_ptr<CodeLengthState> clone() const override { return std::make_unique<GzipState>(*this); }

 private:
  deflate::DeflateModel model_;
  double context_bits_ = -1;
};

class Gzip final : public Compressor {
 public:
  explicit Gzip(int level) : level_(level) {}

  std::string name() const override { return "gzip:" + std::to_string(level_); }

  Bytes compress(ByteView data) const override {
    z_stream zs{};
    if (deflateInit2(&zs, level_, Z_DEFLATED, kWindowBits + 16, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("deflateInit2 failed");
    Bytes out(deflateBound(&zs, data.size()));
    zs.next_in = const_cast<Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = ::deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
    return out;
  }

  Bytes decompress(ByteView data) const override {
    z_stream zs{};
    if (inflateInit2(&zs, kWindowBits + 16) != Z_OK) throw std::runtime_error("inflateInit2 failed");
    Bytes out;
    Bytes buf(1 << 16);
    zs.next_in = const_cast<Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      zs.next_out = buf.data();
      zs.avail_out = static_cast<uInt>(buf.size());
      rc = inflate(&zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        inflateEnd(&zs);
        throw UserError(std::string("gzip: corrupt or truncated stream") + (zs.msg ? std::string(" (") + zs.msg + ")" : ""));
      }
      out.insert(out.end(), buf.data(), buf.data() + (buf.size() - zs.avail_out));
      if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
        inflateEnd(&zs);
        throw UserError("gzip: truncated stream");
      }
    }
    const bool trailing = zs.avail_in != 0;
    inflateEnd(&zs);
    if (trailing) throw UserError("gzip: trailing bytes after the end of the stream");
    return out;
  }

  double code_length_bits(ByteView data) const override { return gzip_code_length_bits(level_, data, nullptr); }

  std::unique_ptr<CodeLengthState> begin(ByteView context) const override {
    if (!gzip_fast_path_verified()) return recompressing_state(*this, context);
    return gzip_model_state(level_, context);
  }

  bool bit_exact() const override { return true; }
  std::size_t window_bytes() const override { return std::size_t{1} << kWindowBits; }

 private:
  int level_;
};

}  // namespace

std::unique_ptr<Compressor> make_gzip(int level) { return std::make_unique<Gzip>(level); }

double gzip_code_length_bits(int level, ByteView data, ZlibMemoryPool* pool) {
  z_stream zs{};
  if (pool) {
    zs.zalloc = pool_allocate;
    zs.zfree = pool_release;
    zs.opaque = pool;
  }
  if (deflateInit2(&zs, level, Z_DEFLATED, -kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  Bytes out(deflateBound(&zs, data.size()) + 64);
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = ::deflate(&zs, Z_BLOCK);
  unsigned pending = 0;
  int bits = 0;
  deflatePending(&zs, &pending, &bits);
  const double total = 8.0 * (static_cast<double>(zs.total_out) + pending) + bits;
  deflateEnd(&zs);
  if (rc != Z_OK || zs.avail_in != 0) throw std::runtime_error("deflate(Z_BLOCK) did not consume its input");
  return kGzipFramingBits + total;
}

ZlibMemoryPool::~ZlibMemoryPool() {
  for (const Block& b : blocks_) std::free(b.memory);
}

void* ZlibMemoryPool::allocate(std::size_t bytes) {
  for (Block& b : blocks_) {
    if (!b.in_use && b.bytes == bytes) {
      b.in_use = true;
      return b.memory;
    }
  }
  void* memory = std::malloc(bytes);
  if (memory) blocks_.push_back({memory, bytes, true});
  return memory;
}

void ZlibMemoryPool::release(void* memory) {
  for (Block& b : blocks_) {
    if (b.memory == memory) b.in_use = false;
  }
}

std::unique_ptr<CodeLengthState> gzip_model_state(int level, ByteView context) {
  return std::make_unique<GzipState>(level, context);
}

}  // namespace zgen
