#include "zgen/sampling.hpp"

#include <algorithm>
#include <array>
#include <numbers>

#include "samplers/horizon.hpp"
#include "samplers/span_sampler.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

// One step with a horizon: a beam proposes H-byte spans, the chain picks one (ids 256 + index,
// so the repeat penalty judges a span by its first byte).
Bytes sample_span(ContinuationCost& model, SamplerChain& chain, int horizon, int beam, std::vector<Bytes>& on_offer) {
  const std::vector<SpanCandidate> spans = beam_candidates(model, horizon, beam);
  CandidateSet set;
  on_offer.clear();
  for (std::size_t i = 0; i < spans.size(); ++i) {
    set.items.push_back({256 + static_cast<int>(i), -std::numbers::ln2 * spans[i].extra_bits, 0.0});
    on_offer.push_back(spans[i].bytes);
  }
  const int id = chain.apply(set);
  return spans[static_cast<std::size_t>(id - 256)].bytes;
}

// The span method: after each choice the model observes the piece, so the next pieces are priced
// given everything generated, exactly as the byte method's bytes are.
Bytes generate_spans(Predictor& model, ContinuationCost& cost, SamplerChain& chain, ByteView source,
                     const GenerationOptions& options, const std::function<void(ByteView)>& emit) {
  SpanProposer proposer(source, options.span);
  const std::size_t memory = options.span.memory;
  // The text the copy rule looks at: the source's last N−1 bytes (the prompt's tail) and then
  // what is generated, so a window that runs from the prompt into the sample counts too.
  const std::size_t lead = std::min(source.size(), options.span.copy_window ? options.span.copy_window - 1 : 0);
  Bytes text(source.end() - static_cast<std::ptrdiff_t>(lead), source.end());
  Bytes out;
  out.reserve(options.length);
  while (out.size() < options.length) {
    std::vector<Bytes> pieces = proposer.offer(text, options.length - out.size(), cost.alphabet());
    const std::vector<double> bits = cost.extra_bits(pieces);
    CandidateSet set = proposer.candidates(pieces, bits);
    *options.spans = pieces;  // for the repeat penalty's first-byte rule
    const int id = chain.apply(set);
    const Bytes& piece = pieces[static_cast<std::size_t>(id - 256)];
    proposer.commit(text, piece);
    for (std::uint8_t b : piece) {
      chain.accept(b);
      out.push_back(b);
      text.push_back(b);
    }
    if (out.size() > memory) {
      // Forget all but the last `memory` bytes generated: condition afresh on the source and those.
      Bytes seen(source.begin(), source.end());
      seen.insert(seen.end(), out.end() - static_cast<std::ptrdiff_t>(memory), out.end());
      model.reset(seen);
    } else {
      for (std::uint8_t b : piece) model.observe(b);
    }
    if (emit) emit(piece);
  }
  return out;
}

}  // namespace

std::string method_name(GenerationMethod method) { return method == GenerationMethod::kSpans ? "spans" : "bytes"; }

GenerationMethod parse_method(const std::string& name) {
  if (name == "spans") return GenerationMethod::kSpans;
  if (name == "bytes") return GenerationMethod::kBytes;
  throw InvalidParameter("method", "unknown {} '" + literal(name) + "' (expected spans or bytes)");
}

GenerationMethod resolve_method(std::optional<GenerationMethod> asked, int horizon) {
  if (horizon <= 1) return asked.value_or(GenerationMethod::kSpans);
  if (asked == GenerationMethod::kSpans)
    throw InvalidParameter("horizon", "{} goes with {method} bytes (the beam over bytes), not with {method} spans");
  return GenerationMethod::kBytes;
}

Bytes generate_after(Predictor& model, SamplerChain& chain, ByteView context, const GenerationOptions& options,
                     const std::function<void(ByteView)>& emit) {
  model.reset(context);
  ContinuationCost* cost = model.as_continuation_cost();
  if (options.method == GenerationMethod::kSpans && cost && options.horizon <= 1)
    return generate_spans(model, *cost, chain, context, options, emit);
  return generate(model, chain, options, emit);
}

SamplerChain make_generation_chain(const SamplerParams& params, const GenerationOptions& options) {
  std::shared_ptr<std::vector<Bytes>> spans = options.spans;
  return make_chain(params, [spans](int id) {
    const auto i = static_cast<std::size_t>(id - 256);
    return id >= 256 && i < spans->size() && !(*spans)[i].empty() ? (*spans)[i][0] : -1;
  });
}

Bytes generate(Predictor& model, SamplerChain& chain, const GenerationOptions& options,
               const std::function<void(ByteView)>& emit) {
  ContinuationCost* compressor_model = model.as_continuation_cost();
  if (options.horizon > 1 && !compressor_model)
    throw InvalidParameter("horizon", "{} > 1 needs a compressor model (" + literal(model.name()) + " predicts one byte at a time)");

  Bytes out;
  out.reserve(options.length);
  std::array<double, 256> log_probs{};
  while (out.size() < options.length) {
    Bytes piece;
    if (options.horizon > 1) {
      const int h = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(options.horizon), options.length - out.size()));
      piece = sample_span(*compressor_model, chain, h, options.beam, *options.spans);
    } else {
      model.log_probs(log_probs);
      piece.push_back(static_cast<std::uint8_t>(chain.sample(log_probs)));
    }
    for (std::uint8_t b : piece) {
      chain.accept(b);
      model.observe(b);
      out.push_back(b);
    }
    if (emit) emit(piece);
  }
  return out;
}

}  // namespace zgen
