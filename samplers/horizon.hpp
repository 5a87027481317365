#pragma once
// Multi-byte candidates for sampling with a horizon H > 1 (models that cost continuations:
// compressors turned into models).
#include <vector>

#include "zgen/bytes.hpp"
#include "zgen/predictor.hpp"

namespace zgen {

struct SpanCandidate {
  Bytes bytes;        // H bytes
  double extra_bits;  // ℓ(c·bytes) − ℓ(c)
};

// A beam over bytes: starting from the empty string, every kept prefix is extended by every
// byte of the model's alphabet, each extension costed exactly as ℓ(c·prefix·b) − ℓ(c), and the
// `beam` cheapest kept (ties: smaller bytes first); after H rounds the kept strings are the
// candidates. The sampler then draws among them with
//     p(s) = 2^(−Δℓ(s)/T) / Σ_{s' ∈ candidates} 2^(−Δℓ(s')/T),
// i.e. the per-byte model's formula normalised over the candidate set instead of over bytes.
// Cost: H · beam · |alphabet| code lengths per H bytes generated.
std::vector<SpanCandidate> beam_candidates(ContinuationCost& model, int horizon, int beam);

}  // namespace zgen
