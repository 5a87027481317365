// The window keeps the last N accepted bytes and how often each occurs, so that apply() is
// one table lookup per candidate however long the window is.
#include <array>
#include <cmath>
#include <deque>
#include <sstream>
#include <stdexcept>

#include "zgen/sampler.hpp"

namespace zgen {
namespace {

class RepeatPenalty final : public Sampler {
 public:
  RepeatPenalty(double penalty, int last_n, FirstByte first_byte)
      : penalty_(penalty), last_n_(last_n), first_byte_(std::move(first_byte)) {}

  std::string name() const override {
    std::ostringstream s;
    s << "penalties(repeat " << penalty_ << ", last " << last_n_ << ")";
    return s.str();
  }

  void apply(CandidateSet& set) override {
    if (penalty_ == 1.0 || window_.empty()) return;
    bool changed = false;
    for (Candidate& c : set.items) {
      const int byte = byte_of(c.id);
      if (byte < 0 || count_[byte] == 0) continue;
      c.logit = c.logit > 0.0 ? c.logit / penalty_ : c.logit * penalty_;
      changed = true;
    }
    if (changed) set.sorted = false;
  }

  void accept(int id) override {
    if (last_n_ == 0 || id < 0 || id > 255) return;  // multi-byte ids: their bytes come one by one
    window_.push_back(static_cast<unsigned char>(id));
    ++count_[id];
    if (static_cast<int>(window_.size()) > last_n_) {
      --count_[window_.front()];
      window_.pop_front();
    }
  }

  void reset() override {
    window_.clear();
    count_.fill(0);
  }

 private:
  int byte_of(int id) const {
    if (id >= 0 && id <= 255) return id;
    if (!first_byte_) return -1;
    const int b = first_byte_(id);
    return b >= 0 && b <= 255 ? b : -1;
  }

  double penalty_;
  int last_n_;
  FirstByte first_byte_;
  std::deque<unsigned char> window_;
  std::array<int, 256> count_{};
};

}  // namespace

std::unique_ptr<Sampler> make_repeat_penalty(double penalty, int last_n, FirstByte first_byte) {
  if (!std::isfinite(penalty) || penalty <= 0.0) throw std::invalid_argument("repeat penalty must be finite and > 0");
  if (last_n < 0) throw std::invalid_argument("repeat window must be >= 0");
  return std::make_unique<RepeatPenalty>(penalty, last_n, std::move(first_byte));
}

}  // namespace zgen
