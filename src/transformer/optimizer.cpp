#include "src/transformer/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace zgen::transformer {

AdamW::AdamW(const std::vector<ParameterSlot>& layout, AdamWOptions options) : options_(options) {
  std::size_t n = 0;
  for (const auto& s : layout) {
    if (s.decay) decay_ranges_.emplace_back(s.offset, s.offset + s.size);
    n = std::max(n, s.offset + s.size);
  }
  m_.assign(n, 0.0f);
  v_.assign(n, 0.0f);
}

void AdamW::step(std::span<float> params, std::span<const float> grads, double lr) {
  if (params.size() != m_.size() || grads.size() != m_.size())
    throw std::logic_error("AdamW::step: buffer sizes differ from the layout");
  ++t_;
  // Decoupled weight decay first, on the pre-update weights (as torch.optim.AdamW does).
  const float shrink = static_cast<float>(1.0 - lr * options_.weight_decay);
  for (const auto& [begin, end] : decay_ranges_)
    for (std::size_t i = begin; i < end; ++i) params[i] *= shrink;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const float c1 = static_cast<float>(1.0 / (1.0 - std::pow(b1, static_cast<double>(t_))));
  const float c2 = static_cast<float>(1.0 / (1.0 - std::pow(b2, static_cast<double>(t_))));
  const float fb1 = static_cast<float>(b1), fb2 = static_cast<float>(b2), flr = static_cast<float>(lr);
  const float eps = static_cast<float>(options_.eps);
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(params.size());
  float* p = params.data();
  const float* g = grads.data();
  float* m = m_.data();
  float* v = v_.data();
#pragma omp parallel for schedule(static) if (n > 65536)
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    m[i] = fb1 * m[i] + (1.0f - fb1) * g[i];
    v[i] = fb2 * v[i] + (1.0f - fb2) * g[i] * g[i];
    p[i] -= flr * (m[i] * c1) / (std::sqrt(v[i] * c2) + eps);
  }
}

double global_norm(std::span<const float> grads) {
  double s = 0;
  for (float g : grads) s += static_cast<double>(g) * g;
  return std::sqrt(s);
}

double clip_global_norm(std::span<float> grads, double max_norm) {
  const double norm = global_norm(grads);
  if (max_norm > 0 && norm > max_norm) {
    const float scale = static_cast<float>(max_norm / norm);
    for (float& g : grads) g *= scale;
  }
  return norm;
}

double learning_rate(long step, long total, long warmup, double peak, double min_ratio) {
  if (warmup > 0 && step < warmup) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
  const long decay_steps = std::max(1L, total - warmup - 1);
  const double progress = std::clamp(static_cast<double>(step - warmup) / static_cast<double>(decay_steps), 0.0, 1.0);
  const double min_lr = peak * min_ratio;
  return min_lr + (peak - min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

}  // namespace zgen::transformer
