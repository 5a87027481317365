#include <cmath>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "zgen/sampler.hpp"

namespace zgen {
namespace {

class Temperature final : public Sampler {
 public:
  explicit Temperature(double t) : t_(t) {}
  std::string name() const override {
    std::ostringstream s;
    s << "temperature(" << t_ << ")";
    return s.str();
  }

  void apply(CandidateSet& set) override {
    if (t_ == 1.0) return;
    if (t_ == 0.0) return keep_best(set);
    // If a finite logit overflows, every candidate could end at ±inf and the softmax would
    // spread evenly over them: the opposite of what T → 0 means. Use the limit instead.
    std::vector<double> scaled(set.items.size());
    for (std::size_t i = 0; i < set.items.size(); ++i) {
      scaled[i] = set.items[i].logit / t_;
      if (std::isfinite(set.items[i].logit) && !std::isfinite(scaled[i])) return keep_best(set);
    }
    // Dividing by t > 0 keeps the order, so `sorted` stays true.
    for (std::size_t i = 0; i < set.items.size(); ++i) set.items[i].logit = scaled[i];
  }

 private:
  static void keep_best(CandidateSet& set) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < set.items.size(); ++i) {
      const Candidate& c = set.items[i];
      const Candidate& b = set.items[best];
      if (c.logit > b.logit || (c.logit == b.logit && c.id < b.id)) best = i;
    }
    const Candidate kept = set.items[best];
    set.items.assign(1, kept);
    set.sorted = true;
  }

  double t_;
};

}  // namespace

std::unique_ptr<Sampler> make_temperature(double t) {
  if (!std::isfinite(t) || t < 0.0) throw std::invalid_argument("temperature must be finite and >= 0");
  return std::make_unique<Temperature>(t);
}

}  // namespace zgen
