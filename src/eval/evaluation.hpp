#pragma once
// Scoring a model on data: the log-loss that lets compressor-derived models be compared
// like language models, beside the compressor's own code length of the same bytes.
#include <nlohmann/json.hpp>

#include <functional>

#include "zgen/evaluation.hpp"  // ScoreResult, score_model (public: the Python package uses them)

namespace zgen {

// `sum` + Σ −log2 p of `data` under `model`, each byte given the model's state on entry and the
// data before it, added to `sum` byte by byte in order (so that windows passed one after another
// give one running sum, to the bit); throws std::logic_error for a byte given no probability.
// `fresh`: the model was just reset to an empty context, so one that knows every byte ahead
// (BatchablePredictor: the transformer) computes the distributions a window at a time, to the
// same bits. on_byte after each byte.
double data_bits(Predictor& model, ByteView data, bool fresh, const std::function<void()>& on_byte, double sum = 0);

// The result for --json output.
nlohmann::json to_json(const ScoreResult& r);

}  // namespace zgen
