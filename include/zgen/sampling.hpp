#pragma once
// Sampling: the sampler chain built from user parameters, and autoregressive generation
// (model → log-probs → chain → byte → observe → …).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "zgen/errors.hpp"
#include "zgen/predictor.hpp"
#include "zgen/sampler.hpp"

namespace zgen {

// The sampler chain: user-ordered samplers, then a seeded pick.
//
//   SamplerChain chain = make_chain(params);        // throws UserError on a bad option
//   for (...) {
//     predictor.log_probs(lp);
//     const int byte = chain.sample(lp);             // same seed, same bytes, everywhere
//     predictor.observe(byte);
//     chain.accept(byte);                            // feeds the repeat-penalty window
//   }
//
// With a horizon, build the CandidateSet yourself (multi-byte ids ≥ 256, see FirstByte),
// call apply(), then accept() each byte of the chosen string.
struct SamplerParams {
  double temperature = 1.0;     // ≥ 0, finite; 0 = greedy
  int top_k = 0;                // 0 = off (the CLI itself refuses a user-given 0)
  double top_p = 1.0;           // (0, 1]; 1 = off
  double min_p = 0.0;           // [0, 1]; 0 = off
  double repeat_penalty = 1.0;  // > 0, finite; 1 = off
  int repeat_last_n = 64;       // ≥ 0; 0 = off
  std::uint64_t seed = 0;
  // Comma-separated, applied left to right; names: penalties, top-k, top-p, min-p,
  // temperature ('_' may stand for '-'). Pick always comes last and is not named.
  std::string order = "penalties,top-k,top-p,min-p,temperature";
};

class SamplerChain {
 public:
  explicit SamplerChain(std::uint64_t seed);

  // Appends after the samplers already added (pick stays last).
  void add(std::unique_ptr<Sampler> sampler);

  // Runs every sampler in order, checking the invariants after each (std::logic_error if
  // one breaks: a bug, not bad input), then picks. Returns the chosen id, which is also
  // candidates.items[candidates.selected].id. Throws std::logic_error on an empty set.
  int apply(CandidateSet& candidates);

  // A predictor's distribution in, a byte out.
  int sample(std::span<const double, 256> log_probs);

  void accept(int id);  // forwarded to every sampler
  void reset();         // every sampler back to its start, the random stream included

  // "penalties(repeat 1.1, last 64) -> top-k(40) -> pick(seed 7)", for logs and --verbose.
  std::string describe() const;
  std::size_t size() const { return samplers_.size(); }  // not counting pick

 private:
  std::vector<std::unique_ptr<Sampler>> samplers_;
  std::unique_ptr<Sampler> pick_;
};

// Throws UserError with one line naming the first bad value.
void validate(const SamplerParams& params);

// Validates, then builds the chain in params.order. Samplers whose value means "off" are
// left out (they would change nothing). A sampler switched on but missing from the order
// is an error rather than silently ignored.
SamplerChain make_chain(const SamplerParams& params, FirstByte first_byte = {});

// Autoregressive generation: model → log-probs → sampler chain → byte → observe → …
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
