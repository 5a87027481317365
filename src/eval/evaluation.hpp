#pragma once
// Scoring a model on data: the log-loss that lets compressor-derived models be compared
// like language models, beside the compressor's own code length of the same bytes.
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "zgen/models.hpp"

namespace zgen {

struct ScoreResult {
  std::string model;
  std::size_t bytes = 0;           // bytes of data scored
  double model_bits = 0;           // Σ −log2 p(byte | context, data before it)
  double seconds = 0;              // time spent scoring the data
  double context_seconds = 0;      // time spent conditioning on the context first
  // The compressor's own code length of the same bytes, for compressor models:
  std::optional<double> own_bits_given_context;  // ℓ(d | c) − ℓ(ε | c): ℓ(c·d) − ℓ(c) for most SPECs
  std::optional<double> own_bits_alone;          // ℓ(d), d compressed by itself
  bool own_bit_exact = false;
  // The arithmetic coder driven by the model on the same bytes (when asked for): its actual
  // size beside the model's ideal code length, Σ −log2 of the probabilities it codes with.
  std::optional<double> coded_bits, coded_ideal_bits;

  double bits_per_byte() const { return bytes ? model_bits / static_cast<double>(bytes) : 0; }
  double bytes_per_second() const { return seconds > 0 ? static_cast<double>(bytes) / seconds : 0; }
};

// Scores `data` (every byte given the context and the data before it) under the model's
// normalised distribution over all 256 bytes. `on_byte` is called after each byte (progress).
// With `with_coder`, the data is also arithmetic-coded given the context (a second pass).
ScoreResult score_model(const std::string& spec, ByteView context, ByteView data, const PredictorOptions& options,
                        const std::function<void()>& on_byte = {}, bool with_coder = false);

// The result for --json output.
nlohmann::json to_json(const ScoreResult& r);

}  // namespace zgen
