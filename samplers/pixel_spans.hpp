#pragma once
// The candidates of the pixel span method (PatchMethod::kSpans, include/zgen/images.hpp).
#include <cstddef>
#include <vector>

#include "zgen/bytes.hpp"

namespace zgen {

// The distinct runs of `length` consecutive bytes in the last `window` bytes of `seen` (what the
// model has seen), the most recent first. Empty when `seen` is shorter than `length` or length is 0.
std::vector<Bytes> pixel_runs(ByteView seen, std::size_t length, std::size_t window);

// The distinct blocks of `rows` runs of `length` bytes each, the runs `stride` bytes apart in
// `seen` (one image row apart when stride is the row's width), every byte of a block within the
// last `window` bytes of `seen`; each block is its runs one after the other (rows·length bytes),
// the most recent first. rows = 1 gives pixel_runs. Empty when no block fits or length or rows
// is 0; stride must be at least length when rows > 1 (std::invalid_argument).
// With `above` given (length bytes: the pixels above where the block goes), a block whose own
// pixels above (stride before its first run) equal `above` is not offered: it would copy the
// seen rows verbatim one row further than the block itself (the 2-D anti-copy rule).
std::vector<Bytes> pixel_blocks(ByteView seen, std::size_t length, std::size_t rows, std::size_t stride,
                                std::size_t window, ByteView above = {});

}  // namespace zgen
