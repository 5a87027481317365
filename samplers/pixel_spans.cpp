// Completing a patch with runs of pixels (PatchMethod::kSpans, include/zgen/images.hpp): the
// image counterpart of the text span method (generate.cpp, span_sampler.cpp). The pieces are
// not words but runs of the pixels the model has seen; their distribution is the compressor's
// exact code lengths, normalised over the runs on offer.
#include <algorithm>
#include <array>
#include <numbers>
#include <set>
#include <stdexcept>

#include "samplers/pixel_spans.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"

namespace zgen {

// The distinct runs, the most recent first (an order fixed by the data alone, so the candidates'
// ids never depend on threads).
std::vector<Bytes> pixel_runs(ByteView seen, std::size_t length, std::size_t window) {
  std::vector<Bytes> out;
  if (length == 0 || seen.size() < length) return out;
  const std::size_t from = seen.size() > window ? seen.size() - window : 0;
  std::set<Bytes> offered;
  for (std::size_t start = seen.size() - length + 1; start-- > from;) {
    Bytes run(seen.begin() + static_cast<std::ptrdiff_t>(start), seen.begin() + static_cast<std::ptrdiff_t>(start + length));
    if (offered.insert(run).second) out.push_back(std::move(run));
  }
  return out;
}

namespace {

// How many unknown pixels follow from i on (i included).
std::size_t unknown_run(const KnownMask& known, std::size_t i) {
  std::size_t n = 0;
  while (i + n < known.size() && !known[i + n]) ++n;
  return n;
}

// How many known pixels follow from i on (i included), at most `cap`.
std::size_t known_run(const KnownMask& known, std::size_t i, std::size_t cap) {
  std::size_t n = 0;
  while (n < cap && i + n < known.size() && known[i + n]) ++n;
  return n;
}

// Each run followed by the same known pixels `after`: the continuations whose extra code length
// prices a run by what it makes of the pixels after it as well.
std::vector<Bytes> followed_by(const std::vector<Bytes>& runs, ByteView after) {
  std::vector<Bytes> out;
  out.reserve(runs.size());
  for (const Bytes& run : runs) {
    Bytes joined;
    joined.reserve(run.size() + after.size());
    joined.insert(joined.end(), run.begin(), run.end());
    joined.insert(joined.end(), after.begin(), after.end());
    out.push_back(std::move(joined));
  }
  return out;
}

}  // namespace

std::string patch_method_name(PatchMethod method) { return method == PatchMethod::kSpans ? "spans" : "pixels"; }

PatchMethod parse_patch_method(const std::string& name) {
  if (name == "spans") return PatchMethod::kSpans;
  if (name == "pixels") return PatchMethod::kPixels;
  throw InvalidParameter("method", "unknown {} '" + literal(name) + "' (expected spans or pixels)");
}

SamplerChain make_patch_chain(const SamplerParams& params, const PatchOptions& options) {
  std::shared_ptr<std::vector<Bytes>> spans = options.spans;
  return make_chain(params, [spans](int id) {
    const auto i = static_cast<std::size_t>(id - 256);
    return id >= 256 && i < spans->size() && !(*spans)[i].empty() ? (*spans)[i][0] : -1;
  });
}

Bytes complete_patch(Predictor& model, SamplerChain& chain, ByteView prior, ByteView patch, const KnownMask& known,
                     const PatchOptions& options, const std::function<void()>& on_sampled) {
  if (options.span_pixels < 1 || options.window < 1)
    throw std::invalid_argument("complete_patch: span_pixels and window must be at least 1");
  ContinuationCost* cost = model.as_continuation_cost();
  if (options.method == PatchMethod::kPixels || !cost) return complete_patch(model, chain, prior, patch, known, on_sampled);
  if (patch.size() != known.size()) throw std::invalid_argument("complete_patch: patch and mask differ in size");

  model.reset(prior);
  Bytes out(patch.begin(), patch.end());
  // What the model has seen: the prior, then the region's pixels so far. Only its last `window`
  // bytes are searched for runs, so keep a little more than that.
  Bytes seen(prior.begin() + static_cast<std::ptrdiff_t>(prior.size() > options.window ? prior.size() - options.window : 0),
             prior.end());
  const auto show = [&](std::uint8_t b) {
    model.observe(b);
    seen.push_back(b);
    if (seen.size() >= 2 * options.window)
      seen.erase(seen.begin(), seen.end() - static_cast<std::ptrdiff_t>(options.window));
  };
  std::array<double, 256> log_probs{};
  std::size_t i = 0;
  while (i < out.size()) {
    if (known[i]) {
      show(out[i++]);
      continue;
    }
    const std::size_t length = std::min({options.span_pixels, unknown_run(known, i), seen.size()});
    std::vector<Bytes>& runs = *options.spans;
    runs = pixel_runs(seen, length, options.window);
    Bytes piece;
    if (runs.empty()) {  // nothing seen yet: one pixel from the model's distribution
      model.log_probs(log_probs);
      piece.push_back(static_cast<std::uint8_t>(chain.sample(log_probs)));
    } else {
      // The known pixels right after the run (none when the run stops short of its row's unknown
      // stretch): priced with it, they make p(run) the compressor's distribution given both sides.
      const std::size_t after = known_run(known, i + length, options.lookahead);
      const std::vector<double> bits =
          after == 0 ? cost->extra_bits(runs)
                     : cost->extra_bits(followed_by(runs, ByteView(out).subspan(i + length, after)));
      CandidateSet set;
      set.items.reserve(runs.size());
      for (std::size_t k = 0; k < runs.size(); ++k)
        set.items.push_back({256 + static_cast<int>(k), -std::numbers::ln2 * bits[k], 0.0});
      piece = runs[static_cast<std::size_t>(chain.apply(set) - 256)];
    }
    for (std::uint8_t b : piece) {
      chain.accept(b);
      out[i++] = b;
      show(b);
      if (on_sampled) on_sampled();
    }
  }
  options.spans->clear();
  return out;
}

}  // namespace zgen
