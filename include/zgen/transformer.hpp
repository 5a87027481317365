#pragma once
// zgen's own transformer: the shape of a decoder-only byte-level model, the paper's named sizes
// and the parameter count they imply, and loading a trained checkpoint as a Predictor.
//
// Architecture (GPT-2 style, pre-LayerNorm):
//   x = wte[byte] + position[t]
//   for each of `layers` blocks:  x += attn(LN1(x));  x += mlp(LN2(x))      (MLP: C → 4C → GELU(tanh) → C)
//   logits = LN_f(x) · headᵀ        (head = wte when tied_head, else its own (V,C) matrix, no bias)
//
// Positions are either a fixed sinusoidal table (Vaswani et al.; no parameters) or a learned
// (seq, dim) table. The named configs use sinusoidal positions and an untied head because that is
// what makes the parameter counts equal the paper's (Delétang et al. 2023, 4 layers, context 2048):
// d=64/4 heads 232,832 (paper ≈232K), d=128/4 heads 858,880 (≈857K), d=256/8 heads 3,290,624
// (≈3.29M). A learned table would add seq·dim parameters (131K at d=64: 56% more than the paper's
// model), so it is available (learned_positions) but not the default.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"
#include "zgen/predictor.hpp"

namespace zgen {

struct TransformerConfig {
  int vocab = 256;   // bytes; fixed (checkpoints with another vocabulary are refused)
  int layers = 4;    // L
  int dim = 128;     // C, the residual width
  int heads = 4;     // H; head size C/H
  int seq = 2048;    // T_max, the most positions the model sees at once
  bool learned_positions = false;  // false: fixed sinusoidal table
  bool tied_head = false;          // true: logits use wte as the output matrix
  // 0: the logits are over the next byte. W > 0: over the next byte's residual from the median
  // edge detector on a raster W bytes wide (src/media/raster_prediction.hpp), for image patches; the
  // predictor rolls them back. Needs seq ≥ 2W + 2, so that the window always holds the row above.
  int raster_width = 0;
  // 0: each position's input is its byte (and position). W > 0: plus a second embedding
  // (transformer.wme.weight, (V,C)) of the median edge detector's prediction of the NEXT byte on
  // a raster W bytes wide: the model sees the classical guess as a token and still predicts the
  // byte. The callers compute the hints (src/media/raster_prediction.hpp). Needs seq ≥ 2W + 2, like
  // raster_width, and excludes it.
  int hint_width = 0;

  int head_size() const { return dim / heads; }
  int mlp_dim() const { return 4 * dim; }
  // The hint table's size in elements: V·C with hints, else 0.
  std::size_t hint_parameters() const { return hint_width > 0 ? static_cast<std::size_t>(vocab) * dim : 0; }

  // UserError (one line) naming the first bad field; limits keep every buffer size in range.
  void validate() const;

  // Parameters in the one flat buffer (see ParameterLayout in model.hpp).
  std::size_t num_parameters() const;
  // "232,832 parameters (embedding 16,384 · positions 0 (sinusoidal) · blocks 199,936 · ...)".
  std::string describe() const;

  // "200k", "800k", "3.2m" (the paper's sizes); UserError for anything else.
  static TransformerConfig named(const std::string& name);
  static std::vector<std::string> names();

  // As safetensors __metadata__ strings ("zgen.layers" → "4", ...), and back; from_metadata is
  // strict: a missing, malformed or out-of-range field is a UserError naming it. The optional
  // fields "zgen.raster_width" and "zgen.hint_width" are written only when set (absent: 0), so
  // checkpoints from before them read, and hash, as they did.
  std::map<std::string, std::string> to_metadata() const;
  static TransformerConfig from_metadata(const std::map<std::string, std::string>& metadata);

  bool operator==(const TransformerConfig&) const = default;
};

// Loads a checkpoint written by `zgen train` (safetensors with the config in its metadata) as a
// next-byte model, the SPEC "transformer:PATH". Throws FileError for a missing file, FormatError
// for a malformed one.
std::unique_ptr<Predictor> make_transformer_predictor(const std::string& path);

}  // namespace zgen
