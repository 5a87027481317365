// brotli:Q — the reference brotli encoder at quality Q, window 2^22 (lgwin 22, the default),
// generic mode.
//
// Byte-granular: meta-blocks are bit-packed but the stream's last byte is zero-padded, and the
// encoder API reports only whole output bytes, so ℓ = 8·bytes.
#include <brotli/decode.h>
#include <brotli/encode.h>

#include <memory>
#include <string>

#include "compressors/families.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

constexpr int kLgWin = BROTLI_DEFAULT_WINDOW;  // 22
static_assert(kLgWin == 22);

class Brotli final : public Compressor {
 public:
  explicit Brotli(int quality) : quality_(quality) {}

  std::string name() const override { return "brotli:" + std::to_string(quality_); }

  Bytes compress(ByteView data) const override {
    size_t size = BrotliEncoderMaxCompressedSize(data.size());
    if (size == 0) throw UserError("brotli: input too large");
    Bytes out(size);
    if (!BrotliEncoderCompress(quality_, kLgWin, BROTLI_MODE_GENERIC, data.size(), data.data(), &size, out.data()))
      throw std::runtime_error("brotli: BrotliEncoderCompress failed");
    out.resize(size);
    return out;
  }

  Bytes decompress(ByteView data) const override {
    std::unique_ptr<BrotliDecoderState, decltype(&BrotliDecoderDestroyInstance)> dec(
        BrotliDecoderCreateInstance(nullptr, nullptr, nullptr), BrotliDecoderDestroyInstance);
    if (!dec) throw std::runtime_error("brotli: BrotliDecoderCreateInstance failed");
    const uint8_t* next_in = data.data();
    size_t avail_in = data.size();
    Bytes out;
    Bytes buf(1 << 16);
    for (;;) {
      uint8_t* next_out = buf.data();
      size_t avail_out = buf.size();
      const BrotliDecoderResult rc =
          BrotliDecoderDecompressStream(dec.get(), &avail_in, &next_in, &avail_out, &next_out, nullptr);
      out.insert(out.end(), buf.data(), next_out);
      if (rc == BROTLI_DECODER_RESULT_SUCCESS) break;
      if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) continue;
      if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) throw UserError("brotli: truncated stream");
      throw UserError(std::string("brotli: corrupt stream (") +
                      BrotliDecoderErrorString(BrotliDecoderGetErrorCode(dec.get())) + ")");
    }
    if (avail_in != 0)
      throw UserError("brotli: trailing data after the end of the stream (" + std::to_string(avail_in) + " bytes)");
    return out;
  }

  // The format's largest backward distance for this window (the ring buffer keeps 16 bytes slack).
  std::size_t window_bytes() const override { return (std::size_t{1} << kLgWin) - 16; }

 private:
  int quality_;
};

}  // namespace

std::unique_ptr<Compressor> make_brotli(int quality) { return std::make_unique<Brotli>(quality); }

}  // namespace zgen
