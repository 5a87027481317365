#pragma once
// The compressor models the span tests price candidates with: the context alphabet (the
// samplers' default), a chosen thread count, the fast path on or off.
#include <string>

#include "src/models/code_length_predictor.hpp"
#include "zgen/compressor.hpp"
#include "zgen/models.hpp"

namespace zgen::test {

inline CodeLengthPredictor span_test_model(const std::string& spec, int threads, bool snapshot = true) {
  PredictorOptions o;
  o.threads = threads;
  o.snapshot = snapshot;
  o.alphabet = "context";
  return CodeLengthPredictor(make_compressor(spec), o);
}

}  // namespace zgen::test
