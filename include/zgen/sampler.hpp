#pragma once
// The pieces of a sampler chain (llama.cpp style): the candidates it chooses from, the Sampler
// interface, and one factory per built-in sampler. zgen/sampling.hpp assembles them.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>


namespace zgen {

// The set of candidates a sampler chain chooses from: 256 bytes from a Predictor, or a few
// multi-byte continuations when sampling with a horizon (ids ≥ 256 for those, see sampler.hpp).
//
// Invariants (checked by check_candidates, which the chain runs after every sampler):
//   - the set is never empty;
//   - ids are distinct;
//   - after softmax() every p is finite, in [0,1], and they sum to 1 within 1e-9;
//   - when `sorted` is true, items are in canonical order (see sort_by_logit);
//   - after a pick, 0 <= selected < items.size().
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

// One step of the sampler chain (llama.cpp style): each sampler narrows or reshapes a
// CandidateSet; the last one, pick, chooses. Build them with the factories below, or all at
// once from user options with make_chain (sampler_chain.hpp).
//
// Contract for apply(): the set comes in non-empty and leaves non-empty; a sampler that
// changes logits in a way that can reorder them clears `sorted`; p is left as it is unless
// the sampler calls softmax() (only valid right after that call).
struct Sampler {
  virtual ~Sampler() = default;
  virtual std::string name() const = 0;  // with its parameters, e.g. "top-k(40)"
  virtual void apply(CandidateSet& candidates) = 0;
  // Called with each id that was committed to the output, after it was chosen. For a
  // multi-byte choice, call it once per committed byte (ids 0..255), so that samplers with
  // memory (the repeat penalty) see the bytes that were really produced.
  virtual void accept(int /*id*/) {}
  virtual void reset() {}  // back to the state right after construction
};

// Maps a multi-byte candidate's id (any id outside 0..255) to the byte it starts with, so
// that the repeat penalty can judge it by that byte; -1 means "never penalise this one".
// Give multi-byte candidates ids ≥ 256 (e.g. 256 + their index) so they never collide with
// single-byte candidates.
using FirstByte = std::function<int(int id)>;

// The factories check their arguments with std::invalid_argument (a caller's bug); user
// input is validated, with messages for people, by make_chain.

// llama.cpp's repetition penalty over the last `last_n` accepted bytes: a candidate whose
// byte occurs in that window gets logit / penalty if logit > 0, logit · penalty otherwise
// (once, however often the byte occurs). Our logits are log-probs ≤ 0, so penalty > 1
// lowers them. penalty 1 or last_n 0 changes nothing. Without `first_byte`, multi-byte
// candidates are never penalised. penalty: finite, > 0; last_n ≥ 0.
std::unique_ptr<Sampler> make_repeat_penalty(double penalty, int last_n, FirstByte first_byte = {});

// Keeps the k candidates with the highest logits (ties: smaller id first). k ≥ 1.
std::unique_ptr<Sampler> make_top_k(int k);

// Keeps the smallest prefix (canonical order) whose probability is ≥ p; at least one. p in (0,1].
std::unique_ptr<Sampler> make_top_p(double p);

// Drops candidates whose probability is < p · (the highest probability). p in [0,1].
std::unique_ptr<Sampler> make_min_p(double p);

// Divides logits by t (t < 1 sharpens, t > 1 flattens). t = 0 is greedy: keeps only the best
// candidate, ties broken by the smallest id; so is a t so small that dividing overflows.
// t finite, ≥ 0.
std::unique_ptr<Sampler> make_temperature(double t);

// Chooses: softmax, then one uniform draw from Rng(seed) walked along the cumulative sum in
// canonical order. Exactly one draw per apply() whatever the set, so the random stream's
// position depends only on how many choices were made. Sets candidates.selected.
// reset() restarts the stream from the seed.
std::unique_ptr<Sampler> make_pick(std::uint64_t seed);

}  // namespace zgen
