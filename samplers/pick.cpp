#include "src/common/rng.hpp"
#include "zgen/sampler.hpp"

namespace zgen {
namespace {

class Pick final : public Sampler {
 public:
  explicit Pick(std::uint64_t seed) : seed_(seed), rng_(seed) {}
  std::string name() const override { return "pick(seed " + std::to_string(seed_) + ")"; }

  void apply(CandidateSet& set) override {
    // Drawn before anything can return, so every call consumes exactly one number.
    const double u = rng_.uniform();
    // Canonical order makes the choice depend on the candidates only, not on how earlier
    // samplers happened to arrange them.
    sort_by_logit(set);
    softmax(set);
    // The RNG is bit-exact everywhere; exp() inside softmax may differ by an ulp between
    // maths libraries, which changes a choice only if u lands within that ulp of a boundary.
    // u < 1 but the sum may round below it: fall back to the last candidate that can be
    // chosen at all, never to one whose probability underflowed to 0.
    double cumulative = 0.0;
    int chosen = -1;
    for (std::size_t i = 0; i < set.items.size(); ++i) {
      if (set.items[i].p <= 0.0) continue;
      cumulative += set.items[i].p;
      chosen = static_cast<int>(i);
      if (u < cumulative) break;
    }
    set.selected = chosen;
  }

  void reset() override { rng_ = Rng(seed_); }

 private:
  std::uint64_t seed_;
  Rng rng_;
};

}  // namespace

std::unique_ptr<Sampler> make_pick(std::uint64_t seed) { return std::make_unique<Pick>(seed); }

}  // namespace zgen
