#include "samplers/horizon.hpp"
#include "zgen/errors.hpp"

#include <algorithm>
#include <numeric>

namespace zgen {

std::vector<SpanCandidate> beam_candidates(ContinuationCost& model, int horizon, int beam) {
  if (horizon < 1) throw UserError("horizon must be at least 1");
  if (beam < 1) throw UserError("beam must be at least 1");
  std::vector<SpanCandidate> kept{{Bytes{}, 0.0}};
  for (int depth = 0; depth < horizon; ++depth) {
    std::vector<Bytes> extensions;
    extensions.reserve(kept.size() * model.alphabet().size());
    for (const auto& prefix : kept) {
      for (auto b : model.alphabet()) {
        Bytes s = prefix.bytes;
        s.push_back(b);
        extensions.push_back(std::move(s));
      }
    }
    const std::vector<double> bits = model.extra_bits(extensions);
    std::vector<std::size_t> order(extensions.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    const std::size_t keep = std::min<std::size_t>(static_cast<std::size_t>(beam), order.size());
    // Deterministic ranking: cost first, then the bytes themselves.
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(),
                      [&](std::size_t a, std::size_t b) {
                        if (bits[a] != bits[b]) return bits[a] < bits[b];
                        return extensions[a] < extensions[b];
                      });
    std::vector<SpanCandidate> next;
    for (std::size_t i = 0; i < keep; ++i) next.push_back({std::move(extensions[order[i]]), bits[order[i]]});
    kept = std::move(next);
  }
  return kept;
}

}  // namespace zgen
