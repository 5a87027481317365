#include "zgen/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <unordered_set>

namespace zgen {

CandidateSet candidates_from_log_probs(std::span<const double, 256> log_probs) {
  CandidateSet set;
  set.items.reserve(256);
  for (int b = 0; b < 256; ++b) {
    const double lp = log_probs[b];
    if (std::isnan(lp)) throw std::logic_error("predictor returned NaN for byte " + std::to_string(b));
    if (lp == -std::numeric_limits<double>::infinity()) continue;
    set.items.push_back({b, lp, 0.0});
  }
  return set;
}

void softmax(CandidateSet& set) {
  auto& items = set.items;
  if (items.empty()) return;
  double max = -std::numeric_limits<double>::infinity();
  for (const Candidate& c : items) {
    if (std::isnan(c.logit)) throw std::logic_error("NaN logit for candidate " + std::to_string(c.id));
    max = std::max(max, c.logit);
  }
  // Subtracting an infinite max would give NaN; the limit of the distribution is uniform
  // over the candidates that share the extreme value (all of them when max is -inf).
  if (std::isinf(max)) {
    std::size_t n = 0;
    for (const Candidate& c : items) n += (c.logit == max);
    for (Candidate& c : items) c.p = c.logit == max ? 1.0 / static_cast<double>(n) : 0.0;
    return;
  }
  double sum = 0.0;  // ≥ 1 (the max contributes exp(0)), so the division below is safe
  for (Candidate& c : items) {
    c.p = std::exp(c.logit - max);
    sum += c.p;
  }
  for (Candidate& c : items) c.p /= sum;
}

void sort_by_logit(CandidateSet& set) {
  if (set.sorted) return;
  std::sort(set.items.begin(), set.items.end(), [](const Candidate& a, const Candidate& b) {
    if (a.logit != b.logit) return a.logit > b.logit;
    return a.id < b.id;
  });
  set.sorted = true;
}

void check_candidates(const CandidateSet& set, const std::string& stage, bool normalized, bool picked) {
  const auto fail = [&](const std::string& what) {
    throw std::logic_error("sampler invariant broken after " + stage + ": " + what);
  };
  if (set.items.empty()) fail("no candidates left");
  std::unordered_set<int> ids;
  for (const Candidate& c : set.items)
    if (!ids.insert(c.id).second) fail("candidate id " + std::to_string(c.id) + " appears twice");
  if (set.sorted)
    for (std::size_t i = 1; i < set.items.size(); ++i) {
      const Candidate& a = set.items[i - 1];
      const Candidate& b = set.items[i];
      if (a.logit < b.logit || (a.logit == b.logit && a.id > b.id)) fail("marked sorted but is not");
    }
  if (normalized) {
    double sum = 0.0;
    for (const Candidate& c : set.items) {
      if (!std::isfinite(c.p) || c.p < 0.0 || c.p > 1.0)
        fail("probability " + std::to_string(c.p) + " for candidate " + std::to_string(c.id));
      sum += c.p;
    }
    if (std::abs(sum - 1.0) > 1e-9) fail("probabilities sum to " + std::to_string(sum));
  }
  if (picked && (set.selected < 0 || set.selected >= static_cast<int>(set.items.size())))
    fail("selected index " + std::to_string(set.selected) + " is not a candidate");
}

}  // namespace zgen
