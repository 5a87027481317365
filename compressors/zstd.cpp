// zstd:L — libzstd, one frame that records the content size and ends with a checksum.
//
// Byte-granular: a zstd frame is a sequence of whole-byte blocks and the FSE/Huffman bitstreams
// are padded to a byte inside each block; libzstd exposes no bit position, so ℓ = 8·bytes.
// For ZSTD_getCParams and ZSTD_isFrame: long-standing "experimental" API that the shared
// library exports; the level's window is not available any other way.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <memory>
#include <string>

#include "compressors/families.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

// The largest output we reserve up front from a frame header's declared size; a hostile header
// may claim anything, so beyond this the buffer grows as the data actually decodes.
constexpr unsigned long long kMaxReserve = 64ull << 20;

std::string zstd_error(size_t rc) { return ZSTD_getErrorName(rc); }

class Zstd final : public Compressor {
 public:
  explicit Zstd(int level) : level_(level) {}

  std::string name() const override { return "zstd:" + std::to_string(level_); }

  Bytes compress(ByteView data) const override {
    std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
    if (!cctx) throw std::runtime_error("zstd: ZSTD_createCCtx failed");
    check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level_));
    check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1));
    Bytes out(ZSTD_compressBound(data.size()));
    const size_t n = ZSTD_compress2(cctx.get(), out.data(), out.size(), data.data(), data.size());
    check(n);
    out.resize(n);
    return out;
  }

  Bytes decompress(ByteView data) const override {
    // Exactly one frame, whole: findFrameCompressedSize walks the block headers, so it
    // catches a truncated frame and tells where the frame ends (anything after is garbage).
    const size_t frame = ZSTD_findFrameCompressedSize(data.data(), data.size());
    if (ZSTD_isError(frame)) {
      if (data.size() < 4 || ZSTD_isFrame(data.data(), data.size()) == 0)
        throw UserError("zstd: not a zstd frame");
      throw UserError("zstd: corrupt or truncated frame (" + zstd_error(frame) + ")");
    }
    if (frame != data.size())
      throw UserError("zstd: trailing data after the end of the frame (" + std::to_string(data.size() - frame) +
                      " bytes)");

    Bytes out;
    const unsigned long long declared = ZSTD_getFrameContentSize(data.data(), data.size());
    if (declared == ZSTD_CONTENTSIZE_ERROR) throw UserError("zstd: corrupt frame header");
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN) out.reserve(declared < kMaxReserve ? declared : kMaxReserve);

    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
    if (!dctx) throw std::runtime_error("zstd: ZSTD_createDCtx failed");
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    Bytes buf(ZSTD_DStreamOutSize());
    size_t rc = 1;
    // rc == 0 once the frame is fully decoded and its checksum verified.
    while (rc != 0) {
      ZSTD_outBuffer ob{buf.data(), buf.size(), 0};
      rc = ZSTD_decompressStream(dctx.get(), &ob, &in);
      if (ZSTD_isError(rc)) throw UserError("zstd: corrupt frame (" + zstd_error(rc) + ")");
      out.insert(out.end(), buf.data(), buf.data() + ob.pos);
      if (rc != 0 && in.pos == in.size && ob.pos < ob.size) throw UserError("zstd: truncated frame");
    }
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && out.size() != declared)
      throw UserError("zstd: frame decodes to " + std::to_string(out.size()) + " bytes, header says " +
                      std::to_string(declared));
    return out;
  }

  std::size_t window_bytes() const override {
    // The level's window for input of unknown (i.e. any) size; smaller inputs get a smaller one.
    return std::size_t{1} << ZSTD_getCParams(level_, ZSTD_CONTENTSIZE_UNKNOWN, 0).windowLog;
  }

 private:
  static void check(size_t rc) {
    if (ZSTD_isError(rc)) throw std::runtime_error("zstd: " + zstd_error(rc));
  }
  int level_;
};

}  // namespace

std::unique_ptr<Compressor> make_zstd(int level) { return std::make_unique<Zstd>(level); }

}  // namespace zgen
