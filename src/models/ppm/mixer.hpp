#pragma once
// Logistic mixing: a one-layer neural network in the logit domain.
//
// p = squash(Σ w_i · x_i) where x_i = stretch(p_i) are the models' opinions; after the
// bit y, w_i += lr · (y − p) · x_i, the gradient of the code length −log2 p(y) with
// respect to w_i. A mixer has several weight sets and a small context picks one per bit,
// so it can learn e.g. "after a long match trust the match model", "at the first bit of
// a byte trust order 2". Fixed point: weights are 16.16, logits 8.8 (squash.hpp),
// errors 12-bit; all integer, so it is bit-exact everywhere.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "src/models/ppm/squash.hpp"

namespace zgen::ppm {

class Mixer {
 public:
  // initial: the starting weight of each input (16.16), the same for every set.
  Mixer(std::vector<std::int32_t> initial, int sets)
      : inputs_(static_cast<int>(initial.size())), initial_(std::move(initial)),
        w_(static_cast<std::size_t>(inputs_) * sets) {
    reset();
  }

  void reset() {
    for (std::size_t i = 0; i < w_.size(); i += inputs_) std::copy(initial_.begin(), initial_.end(), &w_[i]);
  }

  // Mixed logit, clamped to [-2047, 2047].
  int dot(const int* x, int set) const {
    const std::int32_t* w = &w_[static_cast<std::size_t>(set) * inputs_];
    std::int64_t sum = 0;
    for (int i = 0; i < inputs_; ++i) sum += static_cast<std::int64_t>(w[i]) * x[i];
    const std::int64_t logit = sum >> 16;
    return static_cast<int>(logit > kLogitMax ? kLogitMax : logit < -kLogitMax ? -kLogitMax : logit);
  }

  // err12 = (bit << 12) − p12; lr in 2^-16 units of (logit · error).
  template <class Undo>
  void update(const int* x, int set, int err12, int lr, Undo& undo) {
    std::int32_t* w = &w_[static_cast<std::size_t>(set) * inputs_];
    undo.save(w, sizeof(std::int32_t) * inputs_);
    const std::int64_t e = static_cast<std::int64_t>(err12) * lr;
    for (int i = 0; i < inputs_; ++i) {
      std::int64_t nw = w[i] + ((x[i] * e) >> 16);
      // Keep weights in a range where Σ w·x cannot overflow and one bad burst cannot
      // saturate the mixer for long.
      if (nw > (1 << 22)) nw = 1 << 22;
      if (nw < -(1 << 22)) nw = -(1 << 22);
      w[i] = static_cast<std::int32_t>(nw);
    }
  }

  int inputs() const { return inputs_; }

 private:
  int inputs_;
  std::vector<std::int32_t> initial_;
  std::vector<std::int32_t> w_;
};

}  // namespace zgen::ppm
