#pragma once
// Training arithmetic: AdamW (Loshchilov & Hutter) with bias correction and decoupled weight
// decay, gradient clipping by global norm, and a linear-warmup + cosine learning-rate schedule.
#include <cstddef>
#include <span>
#include <vector>

#include "src/transformer/model.hpp"

namespace zgen::transformer {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.95;  // nanoGPT/GPT-3's choice: adapts faster than 0.999 on small noisy batches
  double eps = 1e-8;
  double weight_decay = 0.1;
};

// PyTorch's torch.optim.AdamW, step t = 1, 2, ...:
//   p ← p − lr·wd·p            (only for slots with decay; see ParameterSlot::decay)
//   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//   p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)
class AdamW {
 public:
  AdamW(const std::vector<ParameterSlot>& layout, AdamWOptions options);
  void step(std::span<float> params, std::span<const float> grads, double lr);
  long steps() const { return t_; }
  // The moments, for checkpoints (resume continues exactly where training stopped).
  std::vector<float>& m() { return m_; }
  std::vector<float>& v() { return v_; }
  const std::vector<float>& m() const { return m_; }
  const std::vector<float>& v() const { return v_; }
  void set_steps(long t) { t_ = t; }
  const AdamWOptions& options() const { return options_; }

 private:
  AdamWOptions options_;
  std::vector<std::pair<std::size_t, std::size_t>> decay_ranges_;  // [offset, offset+size) with decay
  std::vector<float> m_, v_;
  long t_ = 0;
};

// √Σ g², summed in double in index order (reproducible).
double global_norm(std::span<const float> grads);
// Scales the gradients so that their global norm is at most max_norm (no-op when max_norm ≤ 0
// or the norm is already within it). Returns the norm before clipping.
double clip_global_norm(std::span<float> grads, double max_norm);

// The learning rate for step s (0-based) of `total`: linear warmup from peak/warmup to peak over
// the first `warmup` steps, then a half cosine from peak down to peak·min_ratio at the last step.
double learning_rate(long step, long total, long warmup, double peak, double min_ratio = 0.1);

}  // namespace zgen::transformer
