#pragma once
// The candidates of the pixel span method (PatchMethod::kSpans, include/zgen/images.hpp).
#include <cstddef>
#include <vector>

#include "zgen/bytes.hpp"

namespace zgen {

// The distinct runs of `length` consecutive bytes in the last `window` bytes of `seen` (what the
// model has seen), the most recent first. Empty when `seen` is shorter than `length` or length is 0.
std::vector<Bytes> pixel_runs(ByteView seen, std::size_t length, std::size_t window);

}  // namespace zgen
