// png — the bytes as an 8-bit grayscale PNG, 64 pixels wide, written by libpng at its maximum
// compression.
//
// Shape. Row r holds bytes [64·r, 64·r + 64): a 2048-byte image patch (64 wide, 32 high,
// row-major, include/zgen/images.hpp) becomes exactly its own 64×32 picture, and a run of patches is
// their 32-row blocks stacked into one 64-wide column, so that the unchunked data of `zgen
// bench` is a picture too. (The paper's code reshapes 2048 bytes as 32 wide by 64 high, which
// is not how its patches were cut; we keep the patch's own geometry.)
//
// Lengths that are not a multiple of 64 (a final partial chunk, text, audio): the last row is
// padded with copies of the last byte (0 for empty input; a zero-length PNG cannot exist, so
// 0 bytes become one padded row) and the number of padding bytes, 1..64, is stored in a
// private ancillary chunk `zgPd` (one byte of data, 13 bytes in all) before the image data.
// Without that chunk the padding is 0. The round trip is exact for every length.
//
// Effort. zlib level 9, memLevel 9, window 32 KiB; the whole image in one IDAT chunk (up to
// 4 MiB of compressed data per IDAT). libpng offers five row filters and its adaptive per-row
// choice (PNG_ALL_FILTERS, minimum sum of absolute differences); we encode with each of the
// six and keep the smallest file (the first one on ties), in this order: adaptive, none, sub,
// up, average, Paeth. The decoder does not need to know which was chosen.
//
// Code length: 8 · the PNG's size in bytes (signature, IHDR, IDAT, IEND and zgPd included).
// begin() returns the fast path of compressors/png_model.hpp, which gives the same lengths
// without running libpng.
//
// libpng reports errors by longjmp. Every function that calls setjmp below holds only
// trivially destructible locals declared after it, and no C++ object lives in a frame that
// a longjmp crosses, so the jump destroys nothing.
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <memory>
#include <string>

#include "compressors/families.hpp"
#include "compressors/png_model.hpp"
#include "src/media/png_callbacks.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

constexpr int kWidth = 64;
constexpr png_byte kPadChunk[5] = {'z', 'g', 'P', 'd', '\0'};
constexpr int kFilterChoices[] = {PNG_ALL_FILTERS,  PNG_FILTER_NONE, PNG_FILTER_SUB,
                                  PNG_FILTER_UP,    PNG_FILTER_AVG,  PNG_FILTER_PAETH};
constexpr std::size_t kMaxIdatBytes = std::size_t{4} << 20;
// deflate expands at most ~1032:1; a header claiming more rows than its data can hold is corrupt.
constexpr std::size_t kMaxInflateRatio = 1100;

// What libpng's callbacks read and write; lives in the caller's frame, outside any longjmp.
// `memory` is libpng's io and error pointer, the whole struct its user-chunk pointer.
struct PngIo {
  PngMemoryIo memory;
  int pad = 0;         // padding bytes named by a zgPd chunk (0: none seen)
  int pad_chunks = 0;  // how many zgPd chunks were seen
};

int read_pad_chunk(png_structp png, png_unknown_chunkp chunk) {
  auto* io = static_cast<PngIo*>(png_get_user_chunk_ptr(png));
  if (std::memcmp(chunk->name, kPadChunk, 4) != 0) return 0;  // not ours: libpng's default handling
  if (chunk->size != 1 || chunk->data[0] < 1 || chunk->data[0] > kWidth) png_error(png, "bad zgPd chunk");
  io->pad = chunk->data[0];
  ++io->pad_chunks;
  return 1;
}

// One encode of `pixels` (rows × 64) with the given filter set. False on a libpng error.
bool encode_with(const Bytes& pixels, png_uint_32 rows, int pad, int filters, PngIo& io) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io.memory, record_png_error, ignore_png_warning);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, &io.memory, append_png_to_memory, flush_png_nothing);
  png_set_compression_level(png, 9);
  png_set_compression_mem_level(png, 9);
  png_set_compression_window_bits(png, 15);
  png_set_compression_buffer_size(
      png, static_cast<png_size_t>(std::clamp<std::size_t>(pixels.size() + rows + 1024, 8192, kMaxIdatBytes)));
  png_set_filter(png, PNG_FILTER_TYPE_BASE, filters);
  png_set_IHDR(png, info, kWidth, rows, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE,
               PNG_FILTER_TYPE_BASE);
  png_write_info(png, info);
  if (pad > 0) {
    const png_byte count = static_cast<png_byte>(pad);
    png_write_chunk(png, kPadChunk, &count, 1);
  }
  for (png_uint_32 y = 0; y < rows; ++y) png_write_row(png, pixels.data() + std::size_t{y} * kWidth);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

// Decodes into `pixels` (rows × 64). False on a libpng error or a shape that is not ours
// (the message in io.memory.error).
bool decode_into(PngIo& io, Bytes& pixels) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io.memory, record_png_error, ignore_png_warning);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, &io.memory, read_png_from_memory);
  png_set_read_user_chunk_fn(png, &io, read_pad_chunk);
  png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
  png_set_user_limits(png, kWidth, 0x7fffffff);
  png_read_info(png, info);
  if (png_get_image_width(png, info) != kWidth || png_get_bit_depth(png, info) != 8 ||
      png_get_color_type(png, info) != PNG_COLOR_TYPE_GRAY || png_get_interlace_type(png, info) != PNG_INTERLACE_NONE)
    png_error(png, "not a zgen png stream (expected 8-bit grayscale, 64 pixels wide, not interlaced)");
  const png_uint_32 rows = png_get_image_height(png, info);
  if (std::size_t{rows} * (kWidth + 1) > kMaxInflateRatio * io.memory.in.size() + 4096)
    png_error(png, "image larger than its compressed data can hold");
  pixels.resize(std::size_t{rows} * kWidth);
  for (png_uint_32 y = 0; y < rows; ++y) png_read_row(png, pixels.data() + std::size_t{y} * kWidth, nullptr);
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

class Png final : public Compressor {
 public:
  std::string name() const override { return "png"; }

  Bytes compress(ByteView data) const override {
    // (rows, 64) pixels: the data, then `pad` copies of its last byte.
    const std::size_t rows = std::max<std::size_t>(1, (data.size() + kWidth - 1) / kWidth);
    if (rows > 0x7fffffff) throw UserError("png: input too large for one image");
    const int pad = static_cast<int>(rows * kWidth - data.size());  // 0..64
    Bytes pixels(data.begin(), data.end());
    pixels.resize(rows * kWidth, data.empty() ? 0 : data.back());

    Bytes best;
    PngIo io;
    for (int filters : kFilterChoices) {
      Bytes out;
      out.reserve(pixels.size() + rows + 1024);
      io.memory.out = &out;
      if (!encode_with(pixels, static_cast<png_uint_32>(rows), pad, filters, io))
        throw std::runtime_error(std::string("png: libpng failed to encode: ") + io.memory.error);
      if (best.empty() || out.size() < best.size()) best = std::move(out);
    }
    return best;
  }

  Bytes decompress(ByteView data) const override {
    PngIo io;
    io.memory.in = data;
    if (data.size() < 8 || png_sig_cmp(data.data(), 0, 8) != 0) throw UserError("png: not a PNG stream");
    Bytes pixels;
    if (!decode_into(io, pixels)) throw UserError(std::string("png: corrupt stream (") + io.memory.error + ")");
    if (io.memory.in_pos != data.size())
      throw UserError("png: " + std::to_string(data.size() - io.memory.in_pos) + " trailing bytes after the end of the stream");
    if (io.pad_chunks > 1) throw UserError("png: more than one zgPd chunk");
    if (static_cast<std::size_t>(io.pad) > pixels.size()) throw UserError("png: zgPd padding longer than the image");
    pixels.resize(pixels.size() - static_cast<std::size_t>(io.pad));
    return pixels;
  }

  // The fast path (png_model.hpp): libpng's filtering and zlib's parse reproduced, each
  // continuation costed from the deflate models' state after the context's complete rows.
  std::unique_ptr<CodeLengthState> begin(ByteView context) const override {
    if (!png_fast_path_verified(*this)) return recompressing_state(*this, context);
    return png_model_state(context);
  }

  // Rows see the row above (filters) and zlib sees 32 KiB back.
  std::size_t window_bytes() const override { return std::size_t{1} << 15; }
};

}  // namespace

std::unique_ptr<Compressor> make_png() { return std::make_unique<Png>(); }

}  // namespace zgen
