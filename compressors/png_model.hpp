#pragma once
// The png fast path: ℓ(c·x) of the png family (compressors/png.cpp) without running libpng, equal
// to Png::code_length_bits(c·x) byte for byte.
//
// What it reproduces (libpng 1.6.39, pngwutil.c, with zlib 1.2.13):
//   - the rows: 64 bytes each, the last one padded with copies of the last byte, a 13-byte zgPd
//     chunk when there is padding;
//   - each of the six encodings png.cpp tries (adaptive, none, sub, up, average, Paeth): the
//     filtered rows, one filter-type byte and 64 filtered bytes each. A single-row image drops
//     up, average and Paeth (png_write_start_row; none is left when nothing remains); the
//     adaptive choice is libpng's minimum sum of absolute differences (bytes ≥ 128 count as
//     256 − v), trying none, sub, up, average, Paeth in that order, a later one winning only
//     when strictly smaller; the row above the first is zeros;
//   - zlib's parameters (png_deflate_claim): level 9, memLevel 9, Z_FILTERED unless the
//     encoding's filter set is "none" alone, and windowBits 15 lowered while the image's
//     filtered size + 262 fits in half the window (images up to 16,384 filtered bytes);
//   - the file: 8 (signature) + 25 (IHDR) + 13 (zgPd, when padded) + 12 (IDAT framing) + 2
//     (zlib header) + the deflate stream ended by Z_FINISH, in whole bytes + 4 (Adler-32) +
//     12 (IEND); the smallest of the six.
//
// libpng feeds zlib one row at a time (Z_NO_FLUSH, then Z_FINISH with no input); the deflate
// model (compressors/deflate/model.hpp) takes all the input at once. The two parse alike as
// long as the filtered image fits zlib's 2·32 KiB window buffer without a slide before its end
// (zlib processes a position only with 262 bytes of lookahead either way, and the first
// slide happens at the same step). Larger images (more than kPngModelMaxRows rows), where the
// row-by-row input may slide the window one step earlier, are costed by zlib itself called as
// libpng calls it: the committed rows fed once per encoding, each candidate continuing a
// deflateCopy of those streams (slower, exact by construction).
//
// The state keeps, for each encoding, the deflate model after the context's complete rows;
// a continuation costs the filtering of the rows it touches (one row for one byte) and six
// deflate continuations of that row.
#include <memory>

#include "zgen/compressor.hpp"

namespace zgen {

// Images of up to this many rows (65 filtered bytes each: 65,520 ≤ 65,536) are costed by the model.
inline constexpr std::size_t kPngModelMaxRows = 1008;

// The fast path's state after `context`.
std::unique_ptr<CodeLengthState> png_model_state(ByteView context);

// From scratch: the png family's code length in bits by the model (data of at most
// 64·kPngModelMaxRows bytes).
double png_model_bits(ByteView data);

}  // namespace zgen

namespace zgen {

// The process's verdict on the png fast path, checked once (thread-safe) at the first call:
// the linked zlib passes the gzip guard (compressors/gzip_guard.hpp), and the model equals
// `png`'s code_length_bits (libpng itself) on built-in images of one to 300 rows. On a
// difference, png_model_state is not used (begin() recompresses) and one warning line goes to
// stderr.
bool png_fast_path_verified(const Compressor& png);

}  // namespace zgen
