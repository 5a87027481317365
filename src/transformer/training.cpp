#include "src/transformer/training.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <numbers>
#include <stdexcept>

#include "src/transformer/safetensors.hpp"
#include "zgen/errors.hpp"

namespace zgen::transformer {

BatchSampler::BatchSampler(ByteView data, int B, int T, std::uint64_t seed, std::size_t alignment,
                           ByteView target_stream, ByteView hint_stream)
    : data_(data),
      targets_(target_stream.empty() ? data : target_stream),
      hints_(hint_stream),
      B_(B),
      T_(T),
      alignment_(alignment),
      rng_{seed} {
  if (B < 1 || T < 1 || alignment < 1 || data.size() < static_cast<std::size_t>(T) + 1)
    throw std::logic_error("BatchSampler: need B, T, alignment ≥ 1 and at least T+1 bytes of data");
  if (targets_.size() != data_.size() || (!hints_.empty() && hints_.size() != data_.size()))
    throw std::logic_error("BatchSampler: the target and hint streams must be as long as the data");
}

void BatchSampler::next(std::uint8_t* inputs, std::uint8_t* targets, std::uint8_t* hints) {
  if (!hints_.empty() && !hints) throw std::logic_error("BatchSampler::next: a sampler with hints needs their buffer");
  // Offsets 0..size−T−1 are valid; the aligned ones are 0, a, 2a, ... up to that bound.
  const std::uint64_t starts = (data_.size() - static_cast<std::size_t>(T_) - 1) / alignment_ + 1;
  for (int b = 0; b < B_; ++b) {
    const std::size_t s = static_cast<std::size_t>(rng_.below(starts)) * alignment_;
    std::memcpy(inputs + static_cast<std::ptrdiff_t>(b) * T_, data_.data() + s, static_cast<std::size_t>(T_));
    std::memcpy(targets + static_cast<std::ptrdiff_t>(b) * T_, targets_.data() + s + 1, static_cast<std::size_t>(T_));
    if (!hints_.empty())
      std::memcpy(hints + static_cast<std::ptrdiff_t>(b) * T_, hints_.data() + s + 1, static_cast<std::size_t>(T_));
  }
}

StepResult train_step(Transformer<float>& model, AdamW& optimizer, const std::uint8_t* inputs,
                      const std::uint8_t* targets, int B, int T, double lr, double grad_clip,
                      const std::uint8_t* hints, DataParallelGroup* group, double share) {
  StepResult r;
  model.zero_grad();
  r.loss = model.forward(inputs, targets, B, T, hints);
  model.backward();
  if (group && group->size() > 1) {
    // The whole batch's mean loss is Σ share_r · (member r's mean loss), and so its gradient.
    const float weight = static_cast<float>(share);
    for (float& g : model.gradients()) g *= weight;
    group->sum(model.gradients());
    double loss = r.loss * share;
    group->sum(std::span<double>(&loss, 1));
    r.loss = loss;
  }
  r.grad_norm = clip_global_norm(model.gradients(), grad_clip);
  optimizer.step(model.parameters(), model.gradients(), lr);
  return r;
}

EvalResult evaluate(Transformer<float>& model, ByteView data, int T, int B, std::size_t max_bytes,
                    ByteView target_stream, ByteView hint_stream, DataParallelGroup* group) {
  if (target_stream.empty()) target_stream = data;
  if (target_stream.size() != data.size()) throw std::logic_error("evaluate: the target stream must be as long as the data");
  const bool hinted = model.config().hint_width > 0;
  if (hinted && hint_stream.size() != data.size()) throw std::logic_error("evaluate: a model with raster hints needs a hint stream as long as the data");
  if (max_bytes > 0 && data.size() > max_bytes) data = data.first(max_bytes);
  EvalResult r;
  if (data.size() < 2) return r;
  double nats = 0;
  const std::size_t n = data.size(), step = static_cast<std::size_t>(T);
  const std::size_t full = (n - 1) / step;  // windows with all T targets
  // This member's windows [first, last) and whether it predicts the ragged one.
  const std::size_t members = group ? static_cast<std::size_t>(group->size()) : 1;
  const std::size_t member = group ? static_cast<std::size_t>(group->rank()) : 0;
  const std::size_t first = full * member / members, last = full * (member + 1) / members;
  const bool ragged = member + 1 == members;
  std::vector<std::uint8_t> inputs(static_cast<std::size_t>(B) * T), targets(inputs.size()), hints(inputs.size());
  for (std::size_t w = first; w < last; w += static_cast<std::size_t>(B)) {
    const int nb = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(B), last - w));
    for (int b = 0; b < nb; ++b) {
      const std::size_t s = (w + static_cast<std::size_t>(b)) * step;
      std::memcpy(inputs.data() + static_cast<std::size_t>(b) * step, data.data() + s, step);
      std::memcpy(targets.data() + static_cast<std::size_t>(b) * step, target_stream.data() + s + 1, step);
      if (hinted) std::memcpy(hints.data() + static_cast<std::size_t>(b) * step, hint_stream.data() + s + 1, step);
    }
    nats += model.forward(inputs.data(), targets.data(), nb, T, hinted ? hints.data() : nullptr) * nb * T;
    r.predicted += static_cast<std::size_t>(nb) * step;
  }
  const std::size_t s = full * step;
  if (ragged && s + 1 < n) {  // the ragged last window
    const int len = static_cast<int>(n - 1 - s);
    nats += model.forward(data.data() + s, target_stream.data() + s + 1, 1, len,
                          hinted ? hint_stream.data() + s + 1 : nullptr) * len;
    r.predicted += static_cast<std::size_t>(len);
  }
  if (members > 1) {
    double sums[2] = {nats, static_cast<double>(r.predicted)};  // whole numbers of bytes: exact
    group->sum(std::span<double>(sums, 2));
    nats = sums[0];
    r.predicted = static_cast<std::size_t>(sums[1]);
  }
  r.bits_per_byte = nats / std::numbers::ln2 / static_cast<double>(r.predicted);
  return r;
}

void save_optimizer_state(const std::string& path, const AdamW& optimizer,
                          const std::map<std::string, std::string>& info) {
  auto metadata = info;
  metadata["zgen.adamw.step"] = std::to_string(optimizer.steps());
  const std::int64_t n = static_cast<std::int64_t>(optimizer.m().size());
  safetensors::save(path, {{"adamw.m", {n}, optimizer.m()}, {"adamw.v", {n}, optimizer.v()}}, metadata);
}

std::map<std::string, std::string> load_optimizer_state(const std::string& path, AdamW& optimizer) {
  const safetensors::File f = safetensors::load(path);
  const std::string what = "'" + path + "'";
  for (const char* name : {"adamw.m", "adamw.v"}) {
    const auto it = f.tensors.find(name);
    if (it == f.tensors.end()) throw UserError(what + ": optimizer state lacks '" + name + "'");
    if (it->second.elements() != optimizer.m().size())
      throw UserError(what + ": optimizer state holds " + std::to_string(it->second.elements()) +
                      " values, the model has " + std::to_string(optimizer.m().size()) + " parameters");
  }
  const auto step = f.metadata.find("zgen.adamw.step");
  long t = -1;
  if (step != f.metadata.end()) {
    const auto& s = step->second;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), t);
    if (ec != std::errc() || end != s.data() + s.size()) t = -1;
  }
  if (t < 0) throw UserError(what + ": optimizer state lacks a valid 'zgen.adamw.step'");
  optimizer.m() = f.read("adamw.m");
  optimizer.v() = f.read("adamw.v");
  optimizer.set_steps(t);
  return f.metadata;
}

}  // namespace zgen::transformer
