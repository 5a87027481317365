#pragma once
// Scoring a model on data: the log-loss that lets compressor-derived models be compared
// like language models, beside the compressor's own code length of the same bytes.
#include <nlohmann/json.hpp>

#include "zgen/evaluation.hpp"  // ScoreResult, score_model (public: the Python package uses them)

namespace zgen {

// The result for --json output.
nlohmann::json to_json(const ScoreResult& r);

}  // namespace zgen
