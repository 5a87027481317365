#pragma once
// A generator for `zgen judge`: a model SPEC with its own sampling options, written as one
// argument the way `zgen sample` takes them, e.g. "gzip:9 --temperature 0.6" or
// "gzip:9 --horizon 4 --beam 8", so that one run can judge a compressor under several methods.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "zgen/bytes.hpp"
#include "zgen/models.hpp"
#include "zgen/sampling.hpp"

namespace zgen::cli {

struct Generator {
  std::string label;  // the argument as written (spaces collapsed), shown in the table
  std::string spec;
  SamplerParams params;  // seed left 0: set per run
  int horizon = 1, beam = 8;
  GenerationOptions generation;  // method and span settings (length set per run)
  PredictorOptions model;  // alphabet "context" by default, as in `zgen sample`
};

// "SPEC [--temperature T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]
// [--repeat-last-n N] [--samplers ORDER] [--horizon H] [--beam B] [--alphabet A] [--max-context N]":
// the meanings and defaults of `zgen sample`. `option` names the flag it came from, for errors
// (one line, UserError).
Generator parse_generator(const std::string& option, const std::string& text, int threads);

// Samples `length` bytes from `model` (built from g.spec and g.model) after `context` (the
// context and the prompt) with `seed`; `on_piece` receives the byte count of each piece.
Bytes sample_with(const Generator& g, Predictor& model, ByteView context, std::size_t length, std::uint64_t seed,
                  const std::function<void(std::size_t)>& on_piece = {});

}  // namespace zgen::cli
