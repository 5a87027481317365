#pragma once
// Sampling: the sampler chain built from user parameters, and autoregressive generation
// (model → log-probs → chain → byte → observe → …).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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

// How a sample is made.
//   kBytes: the paper's method, one byte at a time from the model's normalised 256-way
//     distribution p(x|c) ∝ 2^(−Δℓ(x)) (with horizon > 1: spans from a beam over bytes).
//   kSpans: the context's own pieces (words with their space, numbers, punctuation runs,
//     whitespace runs: span_vocabulary.hpp) are the candidates, each priced by the model's exact
//     Δℓ(piece) = ℓ(c·piece) − ℓ(c) and drawn with
//         p(piece) ∝ 2^(−(Δℓ(piece) − β·|piece|))
//     (then the sampler chain: temperature, top-p, ...), under the anti-copy rule: no piece may
//     make a window of copy_window bytes that occurs verbatim in the context and prompt.
//     Needs a model that prices continuations (compressors, ppm); others fall back to bytes.
enum class GenerationMethod { kBytes, kSpans };

struct SpanOptions {
  // N of the anti-copy rule (0: off). 16 matches the copy rate that zgen judge reports.
  std::size_t copy_window = 16;
  // How pieces of different lengths are compared.
  //   kShare: each length gets the share of the context's pieces that have that length, and
  //     within a length the pieces get p ∝ 2^(−Δℓ): the compressor chooses among pieces that
  //     are comparable, the context says how long pieces run.
  //   kBonus: p ∝ 2^(−(Δℓ − β·|piece|)) over all pieces at once (β = length_bonus).
  //   kTypical: like kShare for the typical piece of each length, but a piece keeps its
  //     advantage over that typical piece across lengths: logit = ln π(L) − ln n_L −
  //     ln2·(Δℓ − m_L), m_L the median Δℓ of the n_L pieces of length L on offer. A piece that
  //     the compressor finds much cheaper than others of its length (it continues a match, or
  //     occurred just before) wins whatever its length; typical pieces come in the context's
  //     proportions of lengths.
  enum class Lengths { kTypical, kShare, kBonus };
  Lengths lengths = Lengths::kTypical;
  // β, bits per byte credited to a piece's length (kBonus). Δℓ of a piece that the compressor codes as
  // one match barely grows with its length, so β = 0 (the compressor's own span probabilities)
  // favours long pieces less than one might think, while per-byte normalisation (Δℓ/|piece|)
  // flattens the distribution into word salad: see BENCHMARKS.md for the figures behind the
  // default.
  double length_bonus = 0.0;
  // Pieces are cut from the last `vocabulary_bytes` of the context (0: all of it); the default
  // is deflate's window, beyond which gzip sees no match anyway.
  std::size_t vocabulary_bytes = std::size_t{32} << 10;
  std::size_t max_piece = 32;   // longest piece proposed, in bytes
  std::size_t max_pieces = 0;   // at most this many pieces, most frequent first (0: all)
  // > 1: also phrases of up to this many pieces that occur at least twice in the context. They
  // carry the context's word order across the seams where the copy rule makes the compressor
  // start a new match (BENCHMARKS.md: order gain 0.2 → 0.5 on the development corpora).
  std::size_t phrase_pieces = 2;
  // The copy rule also forbids repeating an N-byte window of the sample itself.
  bool copy_self = true;
  // The model conditions on the context and the last `memory` bytes generated (kAll: all of
  // them). A compressor prices a repeat of what it has just produced as nearly free, and a
  // deflate parse that already swallowed the last word into a long match cannot price the next
  // piece as that word's continuation elsewhere in the context. With a few bytes of memory the
  // compressor parses "last word + piece" afresh against the context each step, so a piece that
  // follows the last word somewhere in the context is cheap: the judge's bits/byte on the
  // development corpora drop by about 0.5 (BENCHMARKS.md).
  static constexpr std::size_t kAll = static_cast<std::size_t>(-1);
  std::size_t memory = 4;
};

// Autoregressive generation: model → log-probs → sampler chain → byte → observe → …
struct GenerationOptions {
  GenerationMethod method = GenerationMethod::kSpans;  // used by generate_after(); see there
  SpanOptions span;
  std::size_t length = 300;  // bytes to generate
  int horizon = 1;           // > 1: sample H-byte spans from a beam (compressor models only)
  int beam = 8;              // spans kept per round when horizon > 1
  // The spans on offer at the current step (ids 256 + index), shared with the chain built by
  // make_generation_chain so that the repeat penalty can judge a span by its first byte.
  std::shared_ptr<std::vector<Bytes>> spans = std::make_shared<std::vector<Bytes>>();
};

// make_chain, with the repeat penalty wired to the spans of `options` (see above).
SamplerChain make_generation_chain(const SamplerParams& params, const GenerationOptions& options);

// Generates options.length bytes after whatever the model has been conditioned on, with the
// byte method (options.method is not looked at: the span method needs the context itself, see
// generate_after); `emit` receives each piece as soon as it is chosen (for streaming to stdout).
Bytes generate(Predictor& model, SamplerChain& chain, const GenerationOptions& options,
               const std::function<void(ByteView)>& emit = {});

// Conditions the model on `context` (the context files and the prompt), then generates
// options.length bytes by options.method. The span method takes its pieces from `context` and
// checks copies against it; it needs model.as_continuation_cost() (compressor models, ppm) and
// uses the byte method for any other model.
Bytes generate_after(Predictor& model, SamplerChain& chain, ByteView context, const GenerationOptions& options,
                     const std::function<void(ByteView)>& emit = {});

// The method's name for the CLI and logs ("bytes", "spans"), and back (UserError otherwise).
std::string method_name(GenerationMethod method);
GenerationMethod parse_method(const std::string& name);

// The method that a caller's choice comes to, the same for every front end (zgen sample, zgen
// judge's generators, the Python package): none named gives kSpans, or kBytes when horizon > 1
// (a horizon asks for the beam over bytes); kSpans named with horizon > 1 is an
// InvalidParameter ("horizon goes with method bytes ...").
GenerationMethod resolve_method(std::optional<GenerationMethod> asked, int horizon);

}  // namespace zgen
