#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "zgen/sampler.hpp"

namespace zgen {
namespace {

class MinP final : public Sampler {
 public:
  explicit MinP(double p) : p_(p) {}
  std::string name() const override {
    std::ostringstream s;
    s << "min-p(" << p_ << ")";
    return s.str();
  }

  void apply(CandidateSet& set) override {
    if (p_ <= 0.0) return;
    softmax(set);
    double max = 0.0;
    for (const Candidate& c : set.items) max = std::max(max, c.p);
    // The best candidate always has p == max, and max · p_ ≤ max, so one survives.
    const double threshold = max * p_;
    std::erase_if(set.items, [&](const Candidate& c) { return c.p < threshold; });
  }

 private:
  double p_;
};

}  // namespace

std::unique_ptr<Sampler> make_min_p(double p) {
  if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("min-p must be in [0, 1]");
  return std::make_unique<MinP>(p);
}

}  // namespace zgen
