#include "src/transformer/predictor.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
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
// out[v] = logits[v] − ln Σ exp(logits) in double, from deterministic_exp and exact_log in a
// fixed order: the same bits on every machine (libm's exp and log may differ between CPUs).
void exact_log_softmax(double* out, const float* logits, int V) {
  double m = -INFINITY;
  for (int v = 0; v < V; ++v) m = std::max(m, static_cast<double>(logits[v]));
  // The exps on vectors (deterministic_exp's array form), then summed in order.
  for (int v = 0; v < V; ++v) out[v] = static_cast<double>(logits[v]) - m;
  deterministic_exp(out, out, static_cast<std::size_t>(V));
  double sum = 0;
  for (int v = 0; v < V; ++v) sum += out[v];
  const double lse = m + exact_log(sum);
  for (int v = 0; v < V; ++v) out[v] = static_cast<double>(logits[v]) - lse;
}
}  // namespace

TransformerPredictor::TransformerPredictor(std::unique_ptr<transformer::Transformer<float>> model, std::string name,
                                           TransformerCoding coding)
    : model_(std::move(model)),
      name_(std::move(name)),
      coding_(coding),
      keep_(keep_after_slide(coding, model_->config())),
      cache_(*model_, 1, arithmetic_of(coding)),
      logits_(256) {
  std::uint64_t h = kFnv1a64Offset;
  for (const auto& [k, v] : model_->config().to_metadata()) {
    h = fnv1a64_fold(h, k);
    h = fnv1a64_fold(h, v);
    h = fnv1a64_fold(h, "\n");
  }
  const auto params = model_->parameters();
  h = fnv1a64_fold(h, params.data(), params.size_bytes());
  // fp32 folds nothing here (its hash stays what older files recorded); the later codings say
  // so, on top of the probe's logits, which differ too (coding 3's do not: the probe never slides).
  if (coding == TransformerCoding::half) h = fnv1a64_fold(h, "arithmetic: half (2)\n");
  if (coding == TransformerCoding::half_quarter_window)
    h = fnv1a64_fold(h, "coding: half, the window keeps a quarter (3)\n");
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

std::size_t TransformerPredictor::window_length(std::size_t n, int seq, int keep) {
  if (keep < 0 || keep >= seq) throw std::logic_error("window_length: keep must be in 0..seq-1");
  const std::size_t T = static_cast<std::size_t>(seq), K = static_cast<std::size_t>(keep);
  if (n <= T) return n;
  return K + (n - T - 1) % (T - K) + 1;
}

namespace {

// Sets the window to the history `context` (the rule in predictor.hpp); false when it is empty.
bool window_reset(TransformerWindow& win, ByteView context, const TransformerConfig& config, int keep) {
  const std::size_t n = context.size(), w = TransformerPredictor::window_length(n, config.seq, keep);
  win.bytes.assign(context.end() - static_cast<std::ptrdiff_t>(w), context.end());
  win.seen = n;
  win.hints.clear();
  if (const int W = config.hint_width; W > 0)
    for (std::size_t k = n - w; k < n; ++k) win.hints.push_back(raster_prediction(context.data() + k + 1, k + 1, W));
  return !win.bytes.empty();
}

// Appends `byte` to the window; true when it slid (the cache must be refilled from the window),
// else the cache steps with `byte` and *hint.
bool window_push(TransformerWindow& win, std::uint8_t byte, const TransformerConfig& config, int keep,
                 std::uint8_t* hint) {
  const int T = config.seq, W = config.hint_width;
  ++win.seen;
  const bool slide = static_cast<int>(win.bytes.size()) == T;
  if (slide) {
    win.bytes.erase(win.bytes.begin(), win.bytes.end() - keep);
    if (W > 0) win.hints.erase(win.hints.begin(), win.hints.end() - keep);
  }
  win.bytes.push_back(byte);
  // The hint of the byte after this one: the window holds min(seen, keep + 1 or more) bytes
  // and keep ≥ W + 1 (keep_after_slide), so the left, above and above-left pixels are in it.
  *hint = 0;
  if (W > 0) win.hints.push_back(*hint = raster_prediction(win.bytes.data() + win.bytes.size(), win.seen, W));
  return slide;
}

// The distribution of the next byte from the logits (V) after a history of `seen` ≥ 1 bytes that
// ends at history_end (a raster model reads its last pixels there).
void log_probs_after(const std::uint8_t* history_end, std::size_t seen, const float* logits,
                     const TransformerConfig& config, const std::string& name, std::span<double, 256> out) {
  // A damaged or hand-made checkpoint (finite weights near 1e38, found by fuzz/fuzz_safetensors)
  // can give logits that overflow to infinity or NaN, or so large that log_softmax's x − lse
  // loses the distribution (two logits of 1e37 both got log-probability 0). Within ±kMaxLogit
  // the probabilities sum to 1 within 1e-9 (double's rounding at 1e4 is ~2e-12 per term), and
  // a trained model's logits stay within ±100.
  constexpr float kMaxLogit = 1e4f;
  for (int v = 0; v < 256; ++v)
    if (!(std::abs(logits[v]) <= kMaxLogit))
      throw UserError("model '" + name + "': a logit is NaN or beyond ±10000 (the checkpoint's weights are out of range)");
  const int W = config.raster_width;
  if (W == 0) {
    exact_log_softmax(out.data(), logits, 256);
    return;
  }
  // The window holds the last min(seen, keep + 1 or more) bytes, and keep ≥ W + 1
  // (keep_after_slide), so the left, above and above-left pixels are in it.
  const std::uint8_t p = raster_prediction(history_end, seen, W);
  double residual[256];
  exact_log_softmax(residual, logits, 256);
  for (int v = 0; v < 256; ++v) out[static_cast<std::size_t>(v)] = residual[(v - p) & 255];
}

// The same for a window (uniform when it is empty: no bytes yet).
void window_log_probs(const TransformerWindow& win, const float* logits, const TransformerConfig& config,
                      const std::string& name, std::span<double, 256> out) {
  if (win.bytes.empty()) {
    for (auto& v : out) v = -std::log(256.0);
    return;
  }
  log_probs_after(win.bytes.data() + win.bytes.size(), win.seen, logits, config, name, out);
}

// Lanes of one TransformerPredictor in one KVCache: each lane's window and logits kept as the
// predictor keeps its own, the lanes that step together run as one batched KVCache::step.
class TransformerBatch final : public PredictorBatch {
 public:
  TransformerBatch(const transformer::Transformer<float>& model, std::string name, int lanes, TransformerCoding coding)
      : config_(model.config()),
        name_(std::move(name)),
        keep_(keep_after_slide(coding, config_)),
        cache_(model, lanes, arithmetic_of(coding)),
        windows_(static_cast<std::size_t>(lanes)),
        logits_(static_cast<std::size_t>(lanes) * static_cast<std::size_t>(config_.vocab)),
        step_logits_(logits_.size()) {
    rows_.reserve(static_cast<std::size_t>(lanes));
    stepped_.reserve(static_cast<std::size_t>(lanes));
  }
  int lanes() const override { return cache_.lanes(); }

  void reset(int lane, ByteView context) override {
    TransformerWindow& win = windows_.at(static_cast<std::size_t>(lane));
    if (window_reset(win, context, config_, keep_)) cache_.prefill(win.bytes, lane_logits(lane), win.hints, lane);
    else cache_.clear(lane);
  }

  void log_probs(int lane, std::span<double, 256> out) override {
    window_log_probs(windows_.at(static_cast<std::size_t>(lane)), lane_logits(lane), config_, name_, out);
  }

  void observe(std::span<const int> lanes, std::span<const std::uint8_t> bytes) override {
    rows_.clear();
    stepped_.clear();
    for (std::size_t i = 0; i < lanes.size(); ++i) {
      const int lane = lanes[i];
      TransformerWindow& win = windows_.at(static_cast<std::size_t>(lane));
      std::uint8_t hint = 0;
      if (window_push(win, bytes[i], config_, keep_, &hint)) {
        cache_.prefill(win.bytes, lane_logits(lane), win.hints, lane);  // a slide: this lane alone
      } else {
        rows_.push_back({lane, bytes[i], hint});
        stepped_.push_back(lane);
      }
    }
    if (rows_.empty()) return;
    cache_.step(rows_, step_logits_.data());  // (rows,V)
    const std::size_t V = static_cast<std::size_t>(config_.vocab);
    for (std::size_t r = 0; r < stepped_.size(); ++r)
      std::copy_n(step_logits_.data() + r * V, V, lane_logits(stepped_[r]));
  }

 private:
  float* lane_logits(int lane) {  // (V)
    return logits_.data() + static_cast<std::size_t>(lane) * static_cast<std::size_t>(config_.vocab);
  }
  TransformerConfig config_;
  std::string name_;
  int keep_;
  transformer::KVCache cache_;
  std::vector<TransformerWindow> windows_;  // (lanes)
  std::vector<float> logits_;               // (lanes,V): of the byte after each lane's window
  std::vector<float> step_logits_;          // (lanes,V): a step's rows, in row order
  std::vector<transformer::KVCache::Row> rows_;
  std::vector<int> stepped_;  // the lane of each row of rows_
};

}  // namespace

void TransformerPredictor::reset(ByteView context) {
  if (window_reset(window_, context, model_->config(), keep_)) cache_.prefill(window_.bytes, logits_.data(), window_.hints);
  else cache_.clear();
}

void TransformerPredictor::observe(std::uint8_t byte) {
  std::uint8_t hint = 0;
  if (window_push(window_, byte, model_->config(), keep_, &hint)) cache_.prefill(window_.bytes, logits_.data(), window_.hints);
  else cache_.step(byte, logits_.data(), hint);
}

void TransformerPredictor::log_probs(std::span<double, 256> out) {
  window_log_probs(window_, logits_.data(), model_->config(), name_, out);
}

void TransformerPredictor::forced_log_probs(ByteView data, const EachLogProbs& each) {
  const TransformerConfig& config = model_->config();
  const std::size_t N = data.size(), V = static_cast<std::size_t>(config.vocab);
  const int W = config.hint_width;
  std::array<double, 256> out;
  reset({});
  if (N == 0) return;
  window_log_probs(window_, logits_.data(), config, name_, out);  // data[0]: uniform
  each(0, out);
  // History h (the bytes before data[h]) has the window data[s(h) … h), s(h) = h − window_length(h).
  // Histories h0 … h1 with one start s share a pass: a prefill of data[s … h1) gives the logits
  // after each of its rows, row h − 1 − s the distribution of data[h] (a prefill's row is the
  // step that reaches it, bit for bit; the rows before h0 − 1 − s only fill the cache).
  const auto start = [&](std::size_t h) { return h - window_length(h, config.seq, keep_); };
  std::vector<float> logits;      // (rows,V)
  std::vector<std::uint8_t> hints;  // (h1 − s): with hint_width, the prediction of the byte after each row's
  for (std::size_t h0 = 1; h0 < N;) {
    const std::size_t s = start(h0);
    std::size_t h1 = h0;
    while (h1 + 1 < N && start(h1 + 1) == s) ++h1;
    const ByteView rows = data.subspan(s, h1 - s);  // (n) bytes s … h1 − 1
    const int first = static_cast<int>(h0 - 1 - s);
    logits.resize((rows.size() - static_cast<std::size_t>(first)) * V);
    hints.clear();
    if (W > 0)
      for (std::size_t k = s; k < h1; ++k) hints.push_back(raster_prediction(data.data() + k + 1, k + 1, W));
    cache_.prefill_rows(rows, first, logits.data(), hints);
    for (std::size_t h = h0; h <= h1; ++h) {
      log_probs_after(data.data() + h, h, logits.data() + (h - h0) * V, config, name_, out);
      each(h, out);
    }
    // The predictor's own state is now history h1: the cache holds its window.
    window_.bytes.assign(rows.begin(), rows.end());
    window_.hints = hints;
    window_.seen = h1;
    std::copy_n(logits.data() + (h1 - h0) * V, V, logits_.data());
    h0 = h1 + 1;
  }
  observe(data[N - 1]);  // as after observing every byte: a frame that continues the chunk goes on from here
}

std::unique_ptr<PredictorBatch> TransformerPredictor::make_batch(int lanes) const {
  return std::make_unique<TransformerBatch>(*model_, name_, lanes, coding_);
}

std::unique_ptr<Predictor> make_transformer_predictor(const std::string& path, TransformerCoding coding) {
  transformer::Checkpoint c = transformer::load_checkpoint(path);
  // The name is "transformer:PATH" in every coding: version-1 files hashed it, fp32.
  return std::make_unique<TransformerPredictor>(std::move(c.model), "transformer:" + path, coding);
}

std::unique_ptr<Predictor> make_transformer_predictor(const std::string& path) {
  return make_transformer_predictor(path, kNewestTransformerCoding);
}

}  // namespace zgen
