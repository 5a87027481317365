#include "src/transformer/predictor.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "src/coding/quantize.hpp"
#include "src/common/exact_math.hpp"
#include "src/common/hash.hpp"
#include "src/media/raster_prediction.hpp"
#include "src/transformer/checkpoint.hpp"
#include "src/transformer/layers.hpp"
#include "zgen/errors.hpp"

namespace zgen {

namespace {
int keep_after_slide(int seq) { return seq / 2; }  // seq = 1 keeps nothing: the window is the last byte

// out[v] = logits[v] − ln Σ exp(logits) in double, from deterministic_exp and exact_log in a
// fixed order: the same bits on every machine (libm's exp and log may differ between CPUs).
void exact_log_softmax(double* out, const float* logits, int V) {
  double m = -INFINITY;
  for (int v = 0; v < V; ++v) m = std::max(m, static_cast<double>(logits[v]));
  double sum = 0;
  for (int v = 0; v < V; ++v) sum += deterministic_exp(static_cast<double>(logits[v]) - m);
  const double lse = m + exact_log(sum);
  for (int v = 0; v < V; ++v) out[v] = static_cast<double>(logits[v]) - lse;
}
}  // namespace

TransformerPredictor::TransformerPredictor(std::unique_ptr<transformer::Transformer<float>> model, std::string name)
    : model_(std::move(model)), name_(std::move(name)), cache_(*model_), logits_(256) {
  std::uint64_t h = kFnv1a64Offset;
  for (const auto& [k, v] : model_->config().to_metadata()) {
    h = fnv1a64_fold(h, k);
    h = fnv1a64_fold(h, v);
    h = fnv1a64_fold(h, "\n");
  }
  const auto params = model_->parameters();
  h = fnv1a64_fold(h, params.data(), params.size_bytes());
  // The arithmetic's fingerprint: the logits of a fixed probe, through both the batched pass
  // and the KV-cache step. The coding path computes in the canonical arithmetic
  // (kernels/exact.hpp), so the fingerprint is the same on every build and CPU; it stays as the
  // guard: a decoder whose probabilities differed by one quantum would decode garbage, and with
  // the fingerprint in the hash such a decoder (a bug, another version's arithmetic) refuses the
  // file ("model differs") instead.
  const std::string_view probe = "zgen probe: this build's arithmetic, 0123456789.";
  const std::size_t n = std::min<std::size_t>(probe.size(), static_cast<std::size_t>(model_->config().seq) - 1);
  if (n > 0) {
    reset(ByteView(reinterpret_cast<const std::uint8_t*>(probe.data()), n));  // the batched pass
    h = fnv1a64_fold(h, logits_.data(), logits_.size() * sizeof(float));
    observe('!');  // the KV-cache step (n < seq: no slide)
    h = fnv1a64_fold(h, logits_.data(), logits_.size() * sizeof(float));
    reset({});
  }
  parameters_hash_ = h;
}

std::size_t TransformerPredictor::window_length(std::size_t n, int seq) {
  const std::size_t T = static_cast<std::size_t>(seq), keep = static_cast<std::size_t>(keep_after_slide(seq));
  if (n <= T) return n;
  return keep + (n - T - 1) % (T - keep) + 1;
}

void TransformerPredictor::reset(ByteView context) {
  const std::size_t n = context.size(), w = window_length(n, model_->config().seq);
  window_.assign(context.end() - static_cast<std::ptrdiff_t>(w), context.end());
  seen_ = n;
  hints_.clear();
  if (const int W = model_->config().hint_width; W > 0)
    for (std::size_t k = n - w; k < n; ++k) hints_.push_back(raster_prediction(context.data() + k + 1, k + 1, W));
  if (window_.empty()) {
    cache_.clear();
    return;
  }
  cache_.prefill(window_, logits_.data(), hints_);
}

void TransformerPredictor::observe(std::uint8_t byte) {
  const int T = model_->config().seq, W = model_->config().hint_width;
  ++seen_;
  const bool slide = static_cast<int>(window_.size()) == T;
  if (slide) {
    const int keep = keep_after_slide(T);
    window_.erase(window_.begin(), window_.end() - keep);
    if (W > 0) hints_.erase(hints_.begin(), hints_.end() - keep);
  }
  window_.push_back(byte);
  // The hint of the byte after this one: the window holds min(seen_, seq/2 + 1 or more) bytes
  // and seq/2 ≥ W + 1 (validated), so the left, above and above-left pixels are in it.
  std::uint8_t hint = 0;
  if (W > 0) hints_.push_back(hint = raster_prediction(window_.data() + window_.size(), seen_, W));
  if (slide) cache_.prefill(window_, logits_.data(), hints_);
  else cache_.step(byte, logits_.data(), hint);
}

void TransformerPredictor::log_probs(std::span<double, 256> out) {
  if (window_.empty()) {
    for (auto& v : out) v = -std::log(256.0);
    return;
  }
  // A damaged or hand-made checkpoint (finite weights near 1e38, found by fuzz/fuzz_safetensors)
  // can give logits that overflow to infinity or NaN, or so large that log_softmax's x − lse
  // loses the distribution (two logits of 1e37 both got log-probability 0). Within ±kMaxLogit
  // the probabilities sum to 1 within 1e-9 (double's rounding at 1e4 is ~2e-12 per term), and
  // a trained model's logits stay within ±100.
  constexpr float kMaxLogit = 1e4f;
  for (const float v : logits_)
    if (!(std::abs(v) <= kMaxLogit))
      throw UserError("model '" + name_ + "': a logit is NaN or beyond ±10000 (the checkpoint's weights are out of range)");
  const int W = model_->config().raster_width;
  if (W == 0) {
    exact_log_softmax(out.data(), logits_.data(), 256);
    return;
  }
  // The window holds the last min(seen_, seq/2 or more) bytes, and seq/2 ≥ W + 1 (validated),
  // so the left, above and above-left pixels are in it.
  const std::uint8_t p = raster_prediction(window_.data() + window_.size(), seen_, W);
  double residual[256];
  exact_log_softmax(residual, logits_.data(), 256);
  for (int v = 0; v < 256; ++v) out[static_cast<std::size_t>(v)] = residual[(v - p) & 255];
}

std::unique_ptr<Predictor> make_transformer_predictor(const std::string& path) {
  transformer::Checkpoint c = transformer::load_checkpoint(path);
  return std::make_unique<TransformerPredictor>(std::move(c.model), "transformer:" + path);
}

}  // namespace zgen
