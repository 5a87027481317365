#include <cmath>
#include <sstream>
#include <stdexcept>

#include "zgen/sampler.hpp"

namespace zgen {
namespace {

// Probabilities from exp() carry rounding; without slack, p = 0.8 over {0.5, 0.3, 0.2}
// could keep the third candidate because 0.5 + 0.3 came out as 0.79999999999999993.
constexpr double kSlack = 1e-12;

class TopP final : public Sampler {
 public:
  explicit TopP(double p) : p_(p) {}
  std::string name() const override {
    std::ostringstream s;
    s << "top-p(" << p_ << ")";
    return s.str();
  }

  void apply(CandidateSet& set) override {
    if (p_ >= 1.0) return;
    sort_by_logit(set);
    softmax(set);
    double cumulative = 0.0;
    std::size_t keep = 0;
    while (keep < set.items.size()) {
      cumulative += set.items[keep++].p;
      if (cumulative + kSlack >= p_) break;
    }
    set.items.resize(keep);
  }

 private:
  double p_;
};

}  // namespace

std::unique_ptr<Sampler> make_top_p(double p) {
  if (!(p > 0.0 && p <= 1.0)) throw std::invalid_argument("top-p must be in (0, 1]");
  return std::make_unique<TopP>(p);
}

}  // namespace zgen
