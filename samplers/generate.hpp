#pragma once
// Autoregressive generation: model → log-probs → sampler chain → byte → observe → …
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "samplers/sampler_chain.hpp"
#include "zgen/predictor.hpp"

namespace zgen {

struct GenerationOptions {
  std::size_t length = 300;  // bytes to generate
  int horizon = 1;           // > 1: sample H-byte spans from a beam (compressor models only)
  int beam = 8;              // spans kept per round when horizon > 1
  // The spans on offer at the current step (ids 256 + index), shared with the chain built by
  // make_generation_chain so that the repeat penalty can judge a span by its first byte.
  std::shared_ptr<std::vector<Bytes>> spans = std::make_shared<std::vector<Bytes>>();
};

// make_chain, with the repeat penalty wired to the spans of `options` (see above).
SamplerChain make_generation_chain(const SamplerParams& params, const GenerationOptions& options);

// Generates options.length bytes after whatever the model has been conditioned on; `emit`
// receives each piece as soon as it is chosen (for streaming to stdout).
Bytes generate(Predictor& model, SamplerChain& chain, const GenerationOptions& options,
               const std::function<void(ByteView)>& emit = {});

}  // namespace zgen
