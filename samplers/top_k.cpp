#include <stdexcept>

#include "zgen/sampler.hpp"

namespace zgen {
namespace {

class TopK final : public Sampler {
 public:
  explicit TopK(int k) : k_(k) {}
  std::string name() const override { return "top-k(" + std::to_string(k_) + ")"; }

  void apply(CandidateSet& set) override {
    if (static_cast<std::size_t>(k_) >= set.items.size()) return;
    // A full sort of at most a few hundred items costs little, and the canonical order
    // makes the survivors well defined when logits tie at the boundary.
    sort_by_logit(set);
    set.items.resize(static_cast<std::size_t>(k_));
  }

 private:
  int k_;
};

}  // namespace

std::unique_ptr<Sampler> make_top_k(int k) {
  if (k < 1) throw std::invalid_argument("top-k must be >= 1");
  return std::make_unique<TopK>(k);
}

}  // namespace zgen
