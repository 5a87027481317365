#pragma once
// Image-patch completion (the paper's Figure 3): a patch's pixels in raster order, some known
// and kept, the others sampled one by one from a model conditioned on everything before them
// (the prior context, then every earlier pixel of the patch, known or already sampled).
#include <cstdint>
#include <functional>
#include <vector>

#include "samplers/sampler_chain.hpp"
#include "zgen/predictor.hpp"

namespace zgen {

// known[i] != 0: pixel i (raster order, row-major) is given; 0: it is sampled.
using KnownMask = std::vector<std::uint8_t>;

// Each row's first known_columns pixels are known (known_columns in [0, width]).
KnownMask known_left_columns(int width, int height, int known_columns);
// The first known_rows rows are known (known_rows in [0, height]).
KnownMask known_top_rows(int width, int height, int known_rows);

// Resets `model` to `prior`, then walks the patch in raster order: a known pixel is observed as
// it is, an unknown one is drawn from model.log_probs() through `chain` (which accepts it) and
// observed. Returns the completed patch; invariant: result[i] == patch[i] wherever known[i].
// `on_sampled` is called after each sampled pixel (progress).
// Throws std::invalid_argument when patch and known differ in size.
Bytes complete_patch(Predictor& model, SamplerChain& chain, ByteView prior, ByteView patch, const KnownMask& known,
                     const std::function<void()>& on_sampled = {});

}  // namespace zgen
