#include "zgen/sampling.hpp"

#include <array>
#include <numbers>

#include "samplers/horizon.hpp"
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

}  // namespace

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
