#pragma once
// The transformer coding: how a `transformer:PATH` model computes the probabilities a .zgen file
// is coded with. A file records it (the coding byte's high bits, src/coding/container.hpp), and
// each has its own SPEC prefix, so that every file ever written decodes with the coding it was
// written in:
//
//   1  transformer-fp32:PATH  fp32 arithmetic; the window keeps seq/2 when it slides (the files
//                             before half floats)
//   2  transformer-v2:PATH    half-float arithmetic (kv_cache.hpp); keeps seq/2
//   3  transformer:PATH       half floats; keeps seq/4, or the raster's row above and one more
//                             byte where that is longer (what `zgen compress` writes)
//
// The window rule (predictor.hpp): a full window of seq bytes drops its oldest bytes down to
// `keep` when a byte arrives, and the cache is rebuilt from those keep + 1 bytes. Keeping a
// quarter instead of half rebuilds keep + 1 rows every seq − keep bytes (0.34 extra rows per
// byte for seq 512 instead of 1.0) and attends to 320 positions on average instead of 384.
#include <array>
#include <cstdint>
#include <string_view>

#include "src/transformer/kv_cache.hpp"
#include "zgen/transformer.hpp"

namespace zgen {

enum class TransformerCoding : std::uint8_t { fp32 = 1, half = 2, half_quarter_window = 3 };
inline constexpr TransformerCoding kNewestTransformerCoding = TransformerCoding::half_quarter_window;

struct TransformerSpecPrefix {
  std::string_view prefix;
  TransformerCoding coding;
};
inline constexpr std::array<TransformerSpecPrefix, 3> kTransformerSpecPrefixes{{
    {"transformer:", TransformerCoding::half_quarter_window},
    {"transformer-v2:", TransformerCoding::half},
    {"transformer-fp32:", TransformerCoding::fp32},
}};

// The SPEC prefix of a coding (kTransformerSpecPrefixes).
constexpr std::string_view transformer_spec_prefix(TransformerCoding coding) {
  for (const TransformerSpecPrefix& p : kTransformerSpecPrefixes)
    if (p.coding == coding) return p.prefix;
  return {};
}

constexpr transformer::Arithmetic arithmetic_of(TransformerCoding coding) {
  return coding == TransformerCoding::fp32 ? transformer::Arithmetic::fp32 : transformer::Arithmetic::half;
}

// Bytes a full window keeps when it slides (0 ≤ keep < seq). A raster model reads the pixel
// above the next one, W bytes back: config validation guarantees seq/2 ≥ W + 1, so every rule
// here keeps at least W + 1 bytes.
constexpr int keep_after_slide(TransformerCoding coding, const TransformerConfig& config) {
  const int half = config.seq / 2;  // seq = 1 keeps nothing: the window is the last byte
  if (coding != TransformerCoding::half_quarter_window) return half;
  const int width = config.raster_width > config.hint_width ? config.raster_width : config.hint_width;
  const int quarter = config.seq / 4;
  return width > 0 && quarter < width + 1 ? width + 1 : quarter;
}

}  // namespace zgen
