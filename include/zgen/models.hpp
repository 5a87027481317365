#pragma once
// Model SPECs: any compressor SPEC (turned into a predictor through its code lengths),
// "ppm:N" (the adaptive context-mixing model), "transformer:PATH" (a trained checkpoint, in the
// newest transformer coding; "transformer-v2:PATH" and "transformer-fp32:PATH" in the earlier
// ones, zgen/transformer.hpp) and
// "mix:A+B+…" (those models mixed geometrically, weights learned as it codes; no '+' in the parts).
#include <cstddef>
#include <memory>
#include <string>

#include "zgen/predictor.hpp"

namespace zgen {

struct PredictorOptions {
  // Which bytes a compressor-derived predictor may propose: "all" (256 values, the only
  // choice for scoring and coding), "printable" (tab, newline, 0x20..0x7e) or "context"
  // (the byte values that occur in the context).
  std::string alphabet = "all";
  int threads = 1;              // candidates costed in parallel; results do not depend on it
  bool snapshot = true;         // false: recompress c·x from scratch for every candidate
  std::size_t max_context = 0;  // 0: the compressor's window (see Compressor::window_bytes)
  double command_timeout = 30;  // seconds a cmd: compressor may run on one input
};

std::unique_ptr<Predictor> make_predictor(const std::string& spec, const PredictorOptions& options = {});
// Whether make_predictor builds `spec` as a model of its own (ppm, ppm2, ppm3, a transformer in any
// coding, a mix), which drives the arithmetic coder, rather than a compressor turned into one.
bool is_predictor_spec(const std::string& spec);

}  // namespace zgen
