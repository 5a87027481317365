// PNG and JPEG in, 8-bit grayscale PNG out (declared in include/zgen/images.hpp).
//
// libpng and libjpeg report errors by calling a handler that must not return; both handlers
// (libpng's in src/media/png_callbacks.hpp, libjpeg's here) record the library's message and
// longjmp back to the decode function, which turns it into a UserError. Rules that keep the
// longjmp safe:
//   - every object with a destructor (buffers, the image) is constructed before setjmp, in the
//     frame that calls setjmp or above it, so a longjmp skips no destructor;
//   - nothing the frame reads after a longjmp is a local modified after setjmp (the message lives
//     in a struct reached through a pointer, the library handles are freed by their own owners);
//   - no C++ exception ever travels through a library frame (the callbacks catch and png_error).
// Warnings are silenced (libpng) or made fatal (libjpeg, whose "premature end of data" is only a
// warning: a truncated JPEG must be refused, not decoded with gray filler).
#include <png.h>

#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include "src/common/file_io.hpp"
#include "src/media/png_callbacks.hpp"
#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"

namespace zgen {
namespace {

// Larger images are refused rather than risking a huge allocation (64 Mpx; the RGB buffer of
// a PNG that large is 192 MiB).
constexpr std::size_t kMaxPixels = std::size_t{1} << 26;

// The rounded mean of three 8-bit samples: the sum's third is never exactly a half, so
// (sum + 1) / 3 rounds to nearest.
inline std::uint8_t channel_mean(unsigned r, unsigned g, unsigned b) {
  return static_cast<std::uint8_t>((r + g + b + 1) / 3);
}

// ---------------------------------------------------------------------------------------------
// PNG

// Frees libpng's read structures however the decode ends.
struct PngReadHandles {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngReadHandles() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

// Returns the empty string on success, else libpng's message. `samples` and `rows` are the
// caller's so that their destructors lie outside the setjmp frame's reach.
std::string decode_png(PngMemoryIo& source, GrayImage& image, Bytes& samples,
                       std::vector<png_bytep>& rows) {
  PngReadHandles h;
  h.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, record_png_error, ignore_png_warning);
  if (!h.png) throw std::bad_alloc();
  h.info = png_create_info_struct(h.png);
  if (!h.info) throw std::bad_alloc();
  png_set_read_fn(h.png, &source, read_png_from_memory);

  // After a longjmp only `source` (through a pointer) and `h` (untouched since setjmp) are read.
  if (setjmp(png_jmpbuf(h.png))) return source.error[0] ? source.error : "unknown error";

  png_read_info(h.png, h.info);
  const png_uint_32 width = png_get_image_width(h.png, h.info);
  const png_uint_32 height = png_get_image_height(h.png, h.info);
  if (width == 0 || height == 0 || width > kMaxPixels / height) {
    std::snprintf(source.error, sizeof source.error, "too large or empty (%ux%u)", static_cast<unsigned>(width),
                  static_cast<unsigned>(height));
    return source.error;
  }
  // Every colour type becomes 8-bit gray or 8-bit RGB: palettes and low-depth gray expanded,
  // 16-bit samples scaled (rounded), alpha (and tRNS) dropped.
  png_set_expand(h.png);
  png_set_scale_16(h.png);
  png_set_strip_alpha(h.png);
  png_set_interlace_handling(h.png);
  png_read_update_info(h.png, h.info);
  const int channels = png_get_channels(h.png, h.info);
  if (png_get_bit_depth(h.png, h.info) != 8 || (channels != 1 && channels != 3)) {
    std::snprintf(source.error, sizeof source.error, "unsupported pixel layout");
    return source.error;
  }
  const std::size_t stride = png_get_rowbytes(h.png, h.info);
  samples.resize(stride * height);
  rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = samples.data() + y * stride;
  png_read_image(h.png, rows.data());
  png_read_end(h.png, nullptr);  // checks the chunks after the image (a cut-off file fails here)

  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.pixels.resize(static_cast<std::size_t>(width) * height);
  for (std::size_t y = 0; y < height; ++y) {
    const std::uint8_t* row = rows[y];
    std::uint8_t* out = image.pixels.data() + y * width;
    if (channels == 1) {
      std::memcpy(out, row, width);
    } else {
      for (std::size_t x = 0; x < width; ++x) out[x] = channel_mean(row[3 * x], row[3 * x + 1], row[3 * x + 2]);
    }
  }
  return {};
}

GrayImage read_png(const std::string& path, ByteView data) {
  PngMemoryIo source;
  source.in = data;
  GrayImage image;
  Bytes samples;
  std::vector<png_bytep> rows;
  const std::string error = decode_png(source, image, samples, rows);
  if (!error.empty()) throw UserError("cannot decode PNG '" + path + "': " + error);
  return image;
}

// ---------------------------------------------------------------------------------------------
// JPEG

struct JpegErrors {
  jpeg_error_mgr mgr;  // first member: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
};

[[noreturn]] void jpeg_on_error(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

// Warnings (level -1) are errors: a truncated or damaged stream only warns in libjpeg. Trace
// messages (level ≥ 0) are ignored; nothing is ever printed.
void jpeg_on_message(j_common_ptr cinfo, int level) {
  if (level < 0) jpeg_on_error(cinfo);
}

void jpeg_silent_output(j_common_ptr) {}

struct JpegHandle {
  jpeg_decompress_struct cinfo{};
  bool created = false;
  ~JpegHandle() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

std::string decode_jpeg(JpegHandle& h, JpegErrors& errors, ByteView data, GrayImage& image, Bytes& row) {
  h.cinfo.err = jpeg_std_error(&errors.mgr);
  errors.mgr.error_exit = jpeg_on_error;
  errors.mgr.emit_message = jpeg_on_message;
  errors.mgr.output_message = jpeg_silent_output;
  if (setjmp(errors.jump)) return errors.message[0] ? errors.message : "unknown error";

  jpeg_create_decompress(&h.cinfo);
  h.created = true;
  jpeg_mem_src(&h.cinfo, data.data(), static_cast<unsigned long>(data.size()));
  jpeg_read_header(&h.cinfo, TRUE);
  if (h.cinfo.image_width == 0 || h.cinfo.image_height == 0 ||
      h.cinfo.image_width > kMaxPixels / h.cinfo.image_height) {  // refused before libjpeg allocates for it
    std::snprintf(errors.message, sizeof errors.message, "too large or empty (%ux%u)", h.cinfo.image_width,
                  h.cinfo.image_height);
    return errors.message;
  }
  const J_COLOR_SPACE space = h.cinfo.jpeg_color_space;
  if (space == JCS_CMYK || space == JCS_YCCK) {
    std::snprintf(errors.message, sizeof errors.message, "CMYK JPEG is not supported");
    return errors.message;
  }
  h.cinfo.out_color_space = space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&h.cinfo);
  const std::size_t width = h.cinfo.output_width, height = h.cinfo.output_height;
  const int channels = h.cinfo.output_components;
  if (width == 0 || height == 0 || width > kMaxPixels / height || (channels != 1 && channels != 3)) {
    std::snprintf(errors.message, sizeof errors.message, "unsupported size or pixel layout");
    return errors.message;
  }
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.pixels.resize(width * height);
  row.resize(width * static_cast<std::size_t>(channels));
  while (h.cinfo.output_scanline < height) {
    const std::size_t y = h.cinfo.output_scanline;
    JSAMPROW rows[1] = {row.data()};
    if (jpeg_read_scanlines(&h.cinfo, rows, 1) != 1) {
      std::snprintf(errors.message, sizeof errors.message, "file is truncated");
      return errors.message;
    }
    std::uint8_t* out = image.pixels.data() + y * width;
    if (channels == 1) {
      std::memcpy(out, row.data(), width);
    } else {
      for (std::size_t x = 0; x < width; ++x) out[x] = channel_mean(row[3 * x], row[3 * x + 1], row[3 * x + 2]);
    }
  }
  jpeg_finish_decompress(&h.cinfo);
  return {};
}

GrayImage read_jpeg(const std::string& path, ByteView data) {
  JpegHandle handle;
  JpegErrors errors;
  GrayImage image;
  Bytes row;
  const std::string error = decode_jpeg(handle, errors, data, image, row);
  if (!error.empty()) throw UserError("cannot decode JPEG '" + path + "': " + error);
  return image;
}

// ---------------------------------------------------------------------------------------------
// PNG out

struct PngWriteHandles {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngWriteHandles() { png_destroy_write_struct(&png, info ? &info : nullptr); }
};

std::string encode_png(const GrayImage& image, PngMemoryIo& sink, std::vector<png_bytep>& rows) {
  PngWriteHandles h;
  h.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, record_png_error, ignore_png_warning);
  if (!h.png) throw std::bad_alloc();
  h.info = png_create_info_struct(h.png);
  if (!h.info) throw std::bad_alloc();
  if (setjmp(png_jmpbuf(h.png))) return sink.error[0] ? sink.error : "unknown error";
  png_set_write_fn(h.png, &sink, append_png_to_memory, flush_png_nothing);
  png_set_IHDR(h.png, h.info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(h.png, h.info);
  png_write_image(h.png, rows.data());
  png_write_end(h.png, nullptr);
  return {};
}

}  // namespace

GrayImage read_gray_image(const std::string& path) { return decode_gray_image(read_file(path, "image"), path); }

GrayImage decode_gray_image(ByteView data, const std::string& what) {
  static constexpr std::uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (data.size() >= 8 && std::memcmp(data.data(), kPngSignature, 8) == 0) return read_png(what, data);
  if (data.size() >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) return read_jpeg(what, data);
  if (data.empty()) throw UserError("image '" + what + "' is empty");
  throw UserError("'" + what + "' is not a PNG or JPEG image");
}

void write_gray_png(const std::string& path, const GrayImage& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height))
    throw std::logic_error("write_gray_png: image of " + std::to_string(image.width) + "x" +
                           std::to_string(image.height) + " with " + std::to_string(image.pixels.size()) + " pixels");
  Bytes encoded;
  PngMemoryIo sink;
  sink.out = &encoded;
  std::vector<png_bytep> rows(static_cast<std::size_t>(image.height));
  for (std::size_t y = 0; y < rows.size(); ++y)
    rows[y] = const_cast<png_bytep>(image.pixels.data() + y * static_cast<std::size_t>(image.width));
  const std::string error = encode_png(image, sink, rows);
  if (!error.empty()) throw UserError("cannot encode PNG '" + path + "': " + error);
  write_file_atomically(path, encoded);
}

}  // namespace zgen
