#pragma once
// The set of candidates a sampler chain chooses from: 256 bytes from a Predictor, or a few
// multi-byte continuations when sampling with a horizon (ids ≥ 256 for those, see sampler.hpp).
//
// Invariants (checked by check_candidates, which the chain runs after every sampler):
//   - the set is never empty;
//   - ids are distinct;
//   - after softmax() every p is finite, in [0,1], and they sum to 1 within 1e-9;
//   - when `sorted` is true, items are in canonical order (see sort_by_logit);
//   - after a pick, 0 <= selected < items.size().
#include <span>
#include <string>
#include <vector>

namespace zgen {

struct Candidate {
  int id;        // a byte 0..255, or a caller-defined id for a multi-byte candidate
  double logit;  // natural-log weight; a predictor's log-probability to begin with
  double p;      // probability; valid only right after softmax() (samplers that need it call it)
};

struct CandidateSet {
  std::vector<Candidate> items;
  bool sorted = false;  // by logit, descending; ties by ascending id
  int selected = -1;    // index into items of the chosen candidate, set by the pick sampler
};

// One candidate per byte whose log-probability is not -inf (bytes outside the predictor's
// alphabet), in byte order. The result is empty only when every entry is -inf.
// Throws std::logic_error on NaN: a predictor that returns NaN is a bug, not a choice.
CandidateSet candidates_from_log_probs(std::span<const double, 256> log_probs);

// p_i = exp(logit_i - max) / Σ exp(logit_j - max), summed in item order (so the result does
// not depend on anything but the items). Degenerate inputs still give a distribution:
// every logit -inf → uniform; some logits +inf → uniform over those. Empty set: no-op.
// Throws std::logic_error on a NaN logit.
void softmax(CandidateSet& candidates);

// Sorts into the canonical order (logit descending, ties by ascending id) and sets `sorted`.
// The tie rule makes every sampler's result independent of the order items came in.
void sort_by_logit(CandidateSet& candidates);

// Throws std::logic_error naming `stage` when an invariant above does not hold.
// `normalized`: also check the probabilities; `picked`: also check `selected`.
void check_candidates(const CandidateSet& candidates, const std::string& stage, bool normalized,
                      bool picked);

}  // namespace zgen
