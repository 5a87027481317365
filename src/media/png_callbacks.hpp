#pragma once
// libpng's callbacks for PNGs in memory, shared by the png compressor (compressors/png.cpp) and
// the image reader and writer (src/media/image_io.cpp). Give libpng the same PngMemoryIo as the
// error pointer (png_create_*_struct) and as the io pointer (png_set_read_fn/png_set_write_fn).
//
// libpng reports an error by calling record_png_error, which must not return: it copies the
// message into the PngMemoryIo and longjmps to the setjmp of the function that called libpng.
// Each caller keeps that jump safe in its own frame (see its file's header). No C++ exception
// leaves a callback: it would unwind through libpng's C frames.
#include <png.h>

#include <cstddef>
#include <cstdio>
#include <cstring>

#include "zgen/bytes.hpp"

namespace zgen {

struct PngMemoryIo {
  ByteView in;             // what read_png_from_memory reads, from in_pos on
  std::size_t in_pos = 0;
  Bytes* out = nullptr;    // what append_png_to_memory appends to
  char error[256] = {};    // libpng's last message ("" while there is none)
};

[[noreturn]] inline void record_png_error(png_structp png, png_const_charp message) {
  auto* io = static_cast<PngMemoryIo*>(png_get_error_ptr(png));
  std::snprintf(io->error, sizeof io->error, "%s", message ? message : "unknown error");
  png_longjmp(png, 1);
}

inline void ignore_png_warning(png_structp, png_const_charp) {}

inline void read_png_from_memory(png_structp png, png_bytep data, png_size_t n) {
  auto* io = static_cast<PngMemoryIo*>(png_get_io_ptr(png));
  if (n > io->in.size() - io->in_pos) png_error(png, "truncated");
  std::memcpy(data, io->in.data() + io->in_pos, n);
  io->in_pos += n;
}

inline void append_png_to_memory(png_structp png, png_bytep data, png_size_t n) {
  auto* io = static_cast<PngMemoryIo*>(png_get_io_ptr(png));
  bool out_of_memory = false;
  try {
    io->out->insert(io->out->end(), data, data + n);
  } catch (...) {  // std::bad_alloc or std::length_error: a libpng error, raised outside the handler
    out_of_memory = true;
  }
  if (out_of_memory) png_error(png, "out of memory");
}

inline void flush_png_nothing(png_structp) {}

}  // namespace zgen
