#pragma once
// Logistic mixing: a one-layer neural network in the logit domain.
//
// p = squash(Σ w_i · x_i) where x_i = stretch(p_i) are the models' opinions; after the
// bit y, w_i += lr · (y − p) · x_i, the gradient of the code length −log2 p(y) with
// respect to w_i. A mixer has several weight sets and a small context picks one per bit,
// so it can learn e.g. "after a long match trust the match model", "at the first bit of
// a byte trust order 2". Fixed point: weights are 16.16, logits 8.8 (squash.hpp),
// errors 12-bit; all integer, so it is bit-exact everywhere.
//
// Speed: each weight set is padded to a multiple of 8 inputs (kLanes) and callers pass
// inputs padded with zeros to that width (padded_width()), so the loops have whole
// vectors and no remainder. A zero input adds nothing to the sum and moves no weight, so
// the padding changes no result; integer sums do not depend on their order either.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "src/models/ppm/squash.hpp"

namespace zgen::ppm {

class Mixer {
 public:
  static constexpr int kLanes = 8;
  static constexpr int padded_width(int inputs) { return (inputs + kLanes - 1) / kLanes * kLanes; }

  // initial: the starting weight of each input (16.16), the same for every set.
  Mixer(std::vector<std::int32_t> initial, int sets)
      : inputs_(static_cast<int>(initial.size())), stride_(padded_width(inputs_)), initial_(std::move(initial)),
        w_(static_cast<std::size_t>(stride_) * sets) {
    initial_.resize(stride_, 0);
    reset();
  }

  void reset() {
    for (std::size_t i = 0; i < w_.size(); i += stride_) std::copy(initial_.begin(), initial_.end(), &w_[i]);
  }

  // Mixed logit, clamped to [-2047, 2047]. x: padded_width(inputs()) values, zero past inputs().
  int dot(const int* x, int set) const {
    const std::int32_t* w = &w_[static_cast<std::size_t>(set) * stride_];
    // |w| ≤ 2^22 and |x| < 2^11: each product fits 2^33 and the sum of a few dozen fits int64.
    std::int64_t sum = 0;
    for (int i = 0; i < stride_; i += kLanes)
      for (int j = 0; j < kLanes; ++j) sum += static_cast<std::int64_t>(w[i + j]) * x[i + j];
    const std::int64_t logit = sum >> 16;
    return static_cast<int>(logit > kLogitMax ? kLogitMax : logit < -kLogitMax ? -kLogitMax : logit);
  }

  // err12 = (bit << 12) − p12 with |err12| ≤ 4096; lr in 2^-16 units of (logit · error),
  // at most kMaxRate. x as for dot().
  static constexpr int kMaxRate = 64;
  template <class Undo>
  void update(const int* x, int set, int err12, int lr, Undo& undo) {
    std::int32_t* w = &w_[static_cast<std::size_t>(set) * stride_];
    undo.save(w, sizeof(std::int32_t) * inputs_);
    train(w, x, err12 * lr, stride_);
  }

  int inputs() const { return inputs_; }

 private:
  // w += (x · e) >> 16, clamped to ±2^22, over n (a multiple of kLanes) weights. A function
  // of its own so that __restrict tells the compiler that w and x do not overlap, which
  // lets it use vectors (with a possible alias it writes and rereads one weight at a time).
  static void train(std::int32_t* __restrict w, const int* __restrict x, std::int32_t e, int n) {
    // 32-bit arithmetic is exact here: |x · e| ≤ 2047 · 4096 · kMaxRate < 2^31, and a
    // weight moves by less than 2^15 from within ±2^22.
    for (int i = 0; i < n; i += kLanes)
      for (int j = 0; j < kLanes; ++j) {
        std::int32_t nw = w[i + j] + ((x[i + j] * e) >> 16);
        // Keep weights in a range where Σ w·x cannot overflow and one bad burst cannot
        // saturate the mixer for long.
        nw = std::min(nw, std::int32_t{1} << 22);
        nw = std::max(nw, -(std::int32_t{1} << 22));
        w[i + j] = nw;
      }
  }

  int inputs_;
  int stride_;  // padded_width(inputs_)
  std::vector<std::int32_t> initial_;
  std::vector<std::int32_t> w_;
};

}  // namespace zgen::ppm
