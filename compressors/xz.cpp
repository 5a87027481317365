// xz:P — liblzma's preset P (LZMA2) in the .xz container with a CRC64 check, as the xz tool writes.
//
// Byte-granular: LZMA2 chunks and the .xz block/index/footer are whole bytes, and the range
// coder flushes to a byte boundary; liblzma exposes no bit position, so ℓ = 8·bytes.
#include <lzma.h>

#include <algorithm>
#include <memory>
#include <string>

#include "compressors/families.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

// Enough for every preset (xz -9 needs 65 MiB to decode) with room for custom dictionaries;
// a stream that asks for more is refused rather than allowed to take the machine's memory.
constexpr uint64_t kDecoderMemoryLimit = uint64_t{1} << 30;

const char* lzma_message(lzma_ret rc) {
  switch (rc) {
    case LZMA_FORMAT_ERROR: return "not an .xz stream";
    case LZMA_OPTIONS_ERROR: return "unsupported options in the stream header";
    case LZMA_DATA_ERROR: return "corrupt data";
    case LZMA_BUF_ERROR: return "truncated stream";
    case LZMA_MEMLIMIT_ERROR: return "stream needs more than 1 GiB of memory to decode";
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check";
    default: return "decoder error";
  }
}

class Xz final : public Compressor {
 public:
  explicit Xz(int preset) : preset_(preset) {}

  std::string name() const override { return "xz:" + std::to_string(preset_); }

  // The streaming encoder, as the xz tool uses it: its block header leaves the sizes out, so
  // the output is byte for byte what `xz -P -c` writes (the one-shot buffer encoder's is not).
  //
  // Sampling compresses c·x for every candidate, so the encoder is kept per thread: liblzma
  // reuses an encoder's memory when it is initialised again with the same filters, instead
  // of allocating and faulting in up to 674 MiB (preset 9) on every call. Initialising resets
  // all coding state, so the output is the same as a fresh encoder's (tested against xz -P).
  Bytes compress(ByteView data) const override {
    struct ThreadEncoder {
      lzma_stream strm = LZMA_STREAM_INIT;
      ~ThreadEncoder() { lzma_end(&strm); }
    };
    thread_local ThreadEncoder encoder;
    lzma_stream& strm = encoder.strm;
    if (lzma_easy_encoder(&strm, static_cast<uint32_t>(preset_), LZMA_CHECK_CRC64) != LZMA_OK)
      throw std::runtime_error("xz: lzma_easy_encoder failed");
    Bytes out(lzma_stream_buffer_bound(data.size()));
    strm.next_in = data.data();
    strm.avail_in = data.size();
    strm.next_out = out.data();
    strm.avail_out = out.size();
    const lzma_ret rc = lzma_code(&strm, LZMA_FINISH);
    if (rc != LZMA_STREAM_END) throw std::runtime_error("xz: encoder did not finish (" + std::to_string(rc) + ")");
    out.resize(strm.total_out);
    return out;
  }

  Bytes decompress(ByteView data) const override {
    // liblzma reports a short non-.xz input as truncated; the magic tells the two apart.
    static constexpr uint8_t kMagic[6] = {0xfd, '7', 'z', 'X', 'Z', 0};
    for (size_t i = 0; i < std::min(data.size(), sizeof kMagic); ++i)
      if (data[i] != kMagic[i]) throw UserError("xz: not an .xz stream");
    lzma_stream strm = LZMA_STREAM_INIT;
    // No LZMA_CONCATENATED: exactly one stream, so anything after its footer is garbage.
    if (lzma_stream_decoder(&strm, kDecoderMemoryLimit, 0) != LZMA_OK)
      throw std::runtime_error("xz: lzma_stream_decoder failed");
    std::unique_ptr<lzma_stream, decltype(&lzma_end)> guard(&strm, lzma_end);
    strm.next_in = data.data();
    strm.avail_in = data.size();
    Bytes out;
    Bytes buf(1 << 16);
    lzma_ret rc = LZMA_OK;
    while (rc == LZMA_OK) {
      strm.next_out = buf.data();
      strm.avail_out = buf.size();
      // LZMA_FINISH: all input is here, so running out of it is a truncation (LZMA_BUF_ERROR).
      rc = lzma_code(&strm, LZMA_FINISH);
      out.insert(out.end(), buf.data(), buf.data() + (buf.size() - strm.avail_out));
    }
    if (rc != LZMA_STREAM_END) throw UserError(std::string("xz: ") + lzma_message(rc));
    if (strm.avail_in != 0)
      throw UserError("xz: trailing data after the end of the stream (" + std::to_string(strm.avail_in) + " bytes)");
    return out;
  }

  std::size_t window_bytes() const override {
    lzma_options_lzma opt{};
    if (lzma_lzma_preset(&opt, static_cast<uint32_t>(preset_))) throw std::runtime_error("xz: bad preset");
    return opt.dict_size;
  }

 private:
  int preset_;
};

}  // namespace

std::unique_ptr<Compressor> make_xz(int preset) { return std::make_unique<Xz>(preset); }

}  // namespace zgen
