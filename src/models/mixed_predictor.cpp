#include "src/models/mixed_predictor.hpp"
#include "src/coding/quantize.hpp"
#include "src/common/exact_math.hpp"
#include "src/common/hash.hpp"
#include "zgen/errors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace zgen {

MixedPredictor::MixedPredictor(std::vector<std::unique_ptr<Predictor>> parts)
    : parts_(std::move(parts)), part_log_probs_(parts_.size()) {
  if (parts_.empty()) throw std::logic_error("MixedPredictor: no parts");
  weights_.assign(parts_.size(), 1.0 / static_cast<double>(parts_.size()));
}

std::string MixedPredictor::name() const {
  std::vector<std::string> names;
  for (const auto& p : parts_) names.push_back(p->name());
  return mix_spec(names);
}

std::string MixedPredictor::identity() const {
  std::vector<std::string> identities;
  for (const auto& p : parts_) identities.push_back(p->identity());
  return mix_spec(identities);
}

void MixedPredictor::reset(ByteView context) {
  for (auto& p : parts_) p->reset(context);
  std::fill(weights_.begin(), weights_.end(), 1.0 / static_cast<double>(parts_.size()));
  fresh_ = false;
}

void MixedPredictor::compute() {
  constexpr double kNone = -std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < parts_.size(); ++k) parts_[k]->log_probs(part_log_probs_[k]);
  double top = kNone;
  for (int b = 0; b < 256; ++b) {
    double v = 0;
    for (std::size_t k = 0; k < parts_.size() && v != kNone; ++k) {
      const double lp = part_log_probs_[k][b];
      v = std::isfinite(lp) ? v + weights_[k] * lp : kNone;  // a byte any part rules out stays out
    }
    mixed_[b] = v;
    top = std::max(top, v);
  }
  if (top == kNone) throw UserError("mix: the models allow no byte in common");
  double z = 0;
  // deterministic_exp and exact_log, not libm's: the mixture feeds the coder, and must be the
  // same on every machine.
  for (int b = 0; b < 256; ++b) z += deterministic_exp(mixed_[b] - top);
  const double log_z = top + exact_log(z);
  for (double& v : mixed_) v -= log_z;
  fresh_ = true;
}

void MixedPredictor::log_probs(std::span<double, 256> out) {
  if (!fresh_) compute();
  std::copy(mixed_.begin(), mixed_.end(), out.begin());
}

void MixedPredictor::observe(std::uint8_t byte) {
  if (!fresh_) compute();
  if (std::isfinite(mixed_[byte])) {
    std::array<double, 256> p;  // (256,): the mixture's probabilities, 0 where it rules a byte out
    for (int b = 0; b < 256; ++b) p[b] = deterministic_exp(mixed_[b]);  // mixed_ ≤ 0
    for (std::size_t k = 0; k < parts_.size(); ++k) {
      double expected = 0;  // Σ_b p(b) · ln p_k(b), over the bytes the mixture allows
      for (int b = 0; b < 256; ++b)
        if (p[b] > 0) expected += p[b] * part_log_probs_[k][b];
      const double step = kMixLearningRate * (part_log_probs_[k][byte] - expected);
      weights_[k] = std::clamp(weights_[k] + step, 0.0, kMixMaxWeight);
    }
  }
  for (auto& p : parts_) p->observe(byte);
  fresh_ = false;
}

std::uint64_t MixedPredictor::learned_parameters() const {
  std::uint64_t n = 0;
  for (const auto& part : parts_) n += part->learned_parameters();
  return n;
}

std::uint64_t MixedPredictor::parameters_hash() const {
  std::vector<std::uint64_t> hashes;
  for (const auto& p : parts_) hashes.push_back(p->parameters_hash());
  return mix_parameters_hash(hashes);
}

std::uint64_t mix_parameters_hash(std::span<const std::uint64_t> part_hashes) {
  // The parts' fingerprints in order (the model hash adds the name or identity, which lists the parts).
  std::uint64_t h = kFnv1a64Offset;
  for (std::uint64_t p : part_hashes) h = fnv1a64_fold_word(h, p);
  return h;
}

std::string mix_spec(const std::vector<std::string>& parts) {
  std::string s = "mix:";
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k) s += '+';
    s += parts[k];
  }
  return s;
}

std::vector<std::string> mix_part_specs(const std::string& spec) {
  const std::string rest = spec.substr(spec.find(':') + 1);
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t plus = rest.find('+', start);
    const std::string part = rest.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
    if (part.empty()) throw SpecError("mix: empty model in '" + spec + "' (try mix:transformer:PATH+ppm:6)");
    if (part.rfind("mix:", 0) == 0) throw SpecError("mix: a mix cannot hold another mix ('" + spec + "')");
    parts.push_back(part);
    if (parts.size() > kMixMaxParts)
      throw SpecError("mix: more than " + std::to_string(kMixMaxParts) + " models in '" + spec.substr(0, 60) + "…'");
    if (plus == std::string::npos) return parts;
    start = plus + 1;
  }
}

}  // namespace zgen
