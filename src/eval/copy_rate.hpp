#pragma once
// How much of a sample is copied verbatim from its source: the judge's second column in
// `zgen compare --judge`. Compressor-based samplers drift between gibberish (temperature 1) and
// long verbatim copies of their context (beam search, low temperature); this measures the latter.
#include <cstddef>

#include "zgen/bytes.hpp"

namespace zgen {

// The share of the sample's `window`-byte windows (all sample.size() − window + 1 of them, at
// every offset) that occur somewhere in `source`, in [0, 1]. A sample shorter than one window
// has no windows: the rate is 0.
double copy_rate(ByteView sample, ByteView source, std::size_t window = 16);

}  // namespace zgen
