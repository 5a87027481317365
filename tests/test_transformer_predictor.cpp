// The transformer as a Predictor: the KV-cache path against the full-sequence pass (within
// 1e-5 in log-probability), the sliding-window rule, normalisation, a raster model's roll, and
// loading a checkpoint.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "src/media/raster_prediction.hpp"
#include "src/transformer/checkpoint.hpp"
#include "src/transformer/kv_cache.hpp"
#include "src/transformer/layers.hpp"
#include "src/transformer/predictor.hpp"
#include "zgen/errors.hpp"

using namespace zgen;
using namespace zgen::transformer;

namespace {

TransformerConfig config(int seq, bool learned) {
  TransformerConfig c;
  c.layers = 2;
  c.dim = 32;
  c.heads = 4;
  c.seq = seq;
  c.learned_positions = learned;
  return c;
}

// Initialised weights scaled up so that distributions are far from uniform (the comparisons
// would be vacuous on a near-uniform model).
std::unique_ptr<Transformer<float>> sharp_model(const TransformerConfig& c, std::uint64_t seed) {
  auto m = std::make_unique<Transformer<float>>(c);
  m->init_weights(seed);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, 0.3f);
  for (auto& p : m->parameters()) p += d(rng);
  return m;
}

std::vector<std::uint8_t> text(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>('a' + rng() % 20);
  return v;
}

// The full-sequence log-distribution after the last byte of `window`.
std::array<double, 256> full_pass(Transformer<float>& m, ByteView window) {
  m.forward(window.data(), nullptr, 1, static_cast<int>(window.size()));
  std::array<double, 256> lp{};
  log_softmax(lp.data(), m.logits() + (window.size() - 1) * 256, 256);
  return lp;
}

double max_abs_diff(const std::array<double, 256>& a, const std::array<double, 256>& b) {
  double d = 0;
  for (int i = 0; i < 256; ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

}  // namespace

TEST_CASE("the KV-cache path gives the full-sequence distribution within 1e-5") {
  for (bool learned : {false, true}) {
    CAPTURE(learned);
    const auto c = config(100, learned);  // 100 > one attention tile (64): two tiles in the full pass
    auto model = sharp_model(c, 3);
    Transformer<float> reference(c);
    std::copy(model->parameters().begin(), model->parameters().end(), reference.parameters().begin());
    const auto bytes = text(100, 1);
    KVCache cache(*model);
    std::vector<float> logits(256);
    double worst = 0, entropy_sum = 0;
    for (int t = 0; t < 100; ++t) {
      cache.step(bytes[t], logits.data());
      std::array<double, 256> inc{};
      log_softmax(inc.data(), logits.data(), 256);
      const auto full = full_pass(reference, ByteView(bytes.data(), t + 1));
      worst = std::max(worst, max_abs_diff(inc, full));
      for (double v : full) entropy_sum -= std::exp(v) * v;
    }
    MESSAGE("max |Δ log p| = " << worst << ", mean entropy " << entropy_sum / 100 / std::log(2.0) << " bits");
    CHECK(worst <= 1e-5);
    CHECK(entropy_sum / 100 / std::log(2.0) < 7.0);  // the model is sharp enough to make the check meaningful
  }
}

TEST_CASE("window rule: after n bytes the model sees window_length(n) bytes") {
  CHECK(TransformerPredictor::window_length(0, 8, 4) == 0);
  CHECK(TransformerPredictor::window_length(8, 8, 4) == 8);
  CHECK(TransformerPredictor::window_length(9, 8, 4) == 5);  // slid: 4 kept + the new byte
  CHECK(TransformerPredictor::window_length(12, 8, 4) == 8);
  CHECK(TransformerPredictor::window_length(13, 8, 4) == 5);
  CHECK(TransformerPredictor::window_length(9, 8, 2) == 3);  // keep a quarter: 2 kept + the new byte, period 6
  CHECK(TransformerPredictor::window_length(14, 8, 2) == 8);
  CHECK(TransformerPredictor::window_length(15, 8, 2) == 3);
  CHECK(TransformerPredictor::window_length(5, 1, 0) == 1);
  CHECK(TransformerPredictor::window_length(7, 5, 2) == 4);  // keep 2, period 3
  CHECK_THROWS_AS(TransformerPredictor::window_length(7, 5, 5), std::logic_error);
}

TEST_CASE("each transformer coding's window rule: half, a quarter, or the raster's row above") {
  TransformerConfig c = config(512, false);
  CHECK(keep_after_slide(TransformerCoding::fp32, c) == 256);
  CHECK(keep_after_slide(TransformerCoding::half, c) == 256);
  CHECK(keep_after_slide(TransformerCoding::half_quarter_window, c) == 128);
  c.raster_width = 200;  // seq 512 ≥ 2·200 + 2: a quarter (128) would lose the row above
  CHECK(keep_after_slide(TransformerCoding::half, c) == 256);
  CHECK(keep_after_slide(TransformerCoding::half_quarter_window, c) == 201);
  c.raster_width = 0;
  c.hint_width = 64;
  CHECK(keep_after_slide(TransformerCoding::half_quarter_window, c) == 128);
  for (const int seq : {1, 2, 3}) {
    c = config(seq, false);
    CHECK(keep_after_slide(TransformerCoding::half_quarter_window, c) == 0);
    CHECK(keep_after_slide(TransformerCoding::fp32, c) == seq / 2);
  }
  for (const auto& [prefix, coding] : kTransformerSpecPrefixes) CHECK(transformer_spec_prefix(coding) == prefix);
  CHECK(transformer_spec_prefix(kNewestTransformerCoding) == "transformer:");
}

TEST_CASE("predictor: observe and reset follow the window rule, match the full pass, and normalise") {
  const int seq = 16;
  const auto c = config(seq, false);
  auto model = sharp_model(c, 4);
  Transformer<float> reference(c);
  std::copy(model->parameters().begin(), model->parameters().end(), reference.parameters().begin());
  TransformerPredictor p(std::move(model), "transformer:test", TransformerCoding::fp32);
  REQUIRE(p.keep() == seq / 2);
  const auto bytes = text(3 * seq + 5, 2);

  p.reset({});
  std::array<double, 256> lp{};
  p.log_probs(lp);
  for (double v : lp) CHECK(v == doctest::Approx(-std::log(256.0)));  // empty window: uniform

  double worst_observe = 0, worst_reset = 0;
  for (std::size_t n = 1; n <= bytes.size(); ++n) {
    p.observe(bytes[n - 1]);
    const std::size_t w = TransformerPredictor::window_length(n, seq, p.keep());
    REQUIRE(p.window_size() == w);
    p.log_probs(lp);
    double sum = 0;
    for (double v : lp) sum += std::exp(v);
    CHECK(std::abs(sum - 1.0) < 1e-9);
    const auto full = full_pass(reference, ByteView(bytes.data() + n - w, w));
    worst_observe = std::max(worst_observe, max_abs_diff(lp, full));
    // reset with the whole history: the same window, hence the same distribution.
    auto copy = std::make_unique<Transformer<float>>(c);
    std::copy(reference.parameters().begin(), reference.parameters().end(), copy->parameters().begin());
    TransformerPredictor q(std::move(copy), "q", TransformerCoding::fp32);
    q.reset(ByteView(bytes.data(), n));
    REQUIRE(q.window_size() == w);
    std::array<double, 256> lq{};
    q.log_probs(lq);
    worst_reset = std::max(worst_reset, max_abs_diff(lq, full));
  }
  CHECK(worst_observe <= 1e-5);
  CHECK(worst_reset <= 1e-5);
}

TEST_CASE("the newest coding keeps a quarter: observing and resetting give the same bits through its slides") {
  const int seq = 16;
  const auto c = config(seq, false);
  TransformerPredictor p(sharp_model(c, 4), "transformer:test", TransformerCoding::half_quarter_window);
  TransformerPredictor q(sharp_model(c, 4), "transformer:test", TransformerCoding::half_quarter_window);
  TransformerPredictor old(sharp_model(c, 4), "transformer:test", TransformerCoding::half);
  REQUIRE(p.keep() == 4);
  REQUIRE(old.keep() == 8);
  const auto bytes = text(4 * seq + 3, 2);
  p.reset({});
  old.reset({});
  std::array<double, 256> lp{}, lq{}, lo{};
  int slides = 0, differs_from_old = 0;
  for (std::size_t n = 1; n <= bytes.size(); ++n) {
    const std::size_t before = p.window_size();
    p.observe(bytes[n - 1]);
    old.observe(bytes[n - 1]);
    slides += p.window_size() < before;
    REQUIRE(p.window_size() == TransformerPredictor::window_length(n, seq, 4));
    q.reset(ByteView(bytes.data(), n));
    REQUIRE(q.window_size() == p.window_size());
    p.log_probs(lp);
    q.log_probs(lq);
    CHECK(lp == lq);  // the canonical arithmetic: a prefill's last row is the step that reaches it
    old.log_probs(lo);
    if (n <= static_cast<std::size_t>(seq)) CHECK(lp == lo);  // one window until the first slide
    else differs_from_old += (lp == lo) ? 0 : 1;              // then each keeps its own
  }
  CHECK(slides == 5);  // at n = 17, 29, 41, 53, 65
  CHECK(differs_from_old > 0);
}

TEST_CASE("make_transformer_predictor loads a checkpoint; bad paths are UserErrors") {
  const auto c = config(32, false);
  auto model = sharp_model(c, 5);
  const std::string path = "/tmp/zgen-test-predictor-" + std::to_string(::getpid()) + ".safetensors";
  save_checkpoint(path, *model, {{"train.note", "test"}});
  auto p = make_transformer_predictor(path, TransformerCoding::fp32);
  CHECK(p->name() == "transformer:" + path);
  const auto bytes = text(20, 3);
  p->reset(bytes);
  std::array<double, 256> lp{};
  p->log_probs(lp);
  const auto full = full_pass(*model, bytes);
  // Same weights; the coding path's canonical arithmetic (kernels/exact.hpp) rounds otherwise
  // than the training forward, within float rounding.
  CHECK(max_abs_diff(lp, full) <= 1e-5);
  // The half arithmetic (the default coding 3, transformer:PATH): weights, keys and values rounded to
  // half floats (11 significant bits), near the full pass but not within float rounding; another
  // model by its hash.
  auto half = make_transformer_predictor(path);
  CHECK(half->name() == "transformer:" + path);
  half->reset(bytes);
  std::array<double, 256> lp_half{};
  half->log_probs(lp_half);
  CHECK(max_abs_diff(lp_half, full) > 1e-7);
  CHECK(max_abs_diff(lp_half, full) <= 0.05);
  CHECK(half->parameters_hash() != p->parameters_hash());
  // Coding 2 computes as coding 3 until the window slides (it never does here), yet its hash is
  // its own: the window rule is part of what a file's hash guards.
  auto v2 = make_transformer_predictor(path, TransformerCoding::half);
  v2->reset(bytes);
  std::array<double, 256> lp_v2{};
  v2->log_probs(lp_v2);
  CHECK(lp_v2 == lp_half);
  CHECK(v2->parameters_hash() != half->parameters_hash());
  CHECK(v2->parameters_hash() != p->parameters_hash());
  // The fingerprint follows the weights: same file, same hash; one weight changed, another.
  const auto hash = p->parameters_hash();
  CHECK(hash != 0);
  CHECK(make_transformer_predictor(path, TransformerCoding::fp32)->parameters_hash() == hash);
  model->parameters()[7] += 1e-3f;
  save_checkpoint(path, *model, {});
  CHECK(make_transformer_predictor(path)->parameters_hash() != hash);
  std::remove(path.c_str());
  CHECK_THROWS_AS(make_transformer_predictor("/nonexistent/model.safetensors"), UserError);
  CHECK_THROWS_AS(make_transformer_predictor("/tmp"), UserError);
}

TEST_CASE("logits beyond ±10,000 (weights out of range) are a UserError, not a wrong distribution") {
  // fuzz/corpus/safetensors/bad-found-logits-*: finite weights near 1e37 gave two logits of
  // ~1e37, both with log-probability 0 (the probabilities summed to 2), or logits of NaN.
  for (const float scale : {1e3f, 1e36f}) {
    CAPTURE(scale);
    auto model = sharp_model(config(16, false), 7);
    for (auto& p : model->parameters()) p *= scale;
    TransformerPredictor p(std::move(model), "transformer:scaled", TransformerCoding::fp32);
    p.reset(text(5, 1));
    std::array<double, 256> lp{};
    try {
      p.log_probs(lp);
      FAIL("no error");
    } catch (const UserError& e) {
      CHECK(std::string(e.what()).find("out of range") != std::string::npos);
    }
  }
}

TEST_CASE("a raster model's predictor rolls the residual distribution by the median prediction") {
  // Raster 7 wide, seq 16 = 2·7 + 2: the window slides (keeping 8 ≥ the 7 + 1 bytes the
  // prediction reads) four times over 60 bytes, so the prediction is read from slid windows too.
  auto c = config(16, true);
  c.raster_width = 7;
  TransformerPredictor p(sharp_model(c, 6), "transformer:raster", TransformerCoding::fp32);
  auto reference = sharp_model(c, 6);  // the same weights
  const auto bytes = text(60, 8);
  p.reset({});
  std::array<double, 256> lp{};
  double worst = 0;
  for (std::size_t n = 1; n < bytes.size(); ++n) {
    p.observe(bytes[n - 1]);
    p.log_probs(lp);
    const std::size_t w = TransformerPredictor::window_length(n, c.seq, p.keep());
    const auto residual = full_pass(*reference, ByteView(bytes.data() + n - w, w));
    // The prediction from the whole history, which the predictor must get from its window.
    const std::uint8_t pred = raster_prediction(bytes.data() + n, n, c.raster_width);
    double sum = 0;
    for (int v = 0; v < 256; ++v) {
      worst = std::max(worst, std::abs(lp[static_cast<std::size_t>(v)] - residual[static_cast<std::size_t>((v - pred) & 255)]));
      sum += std::exp(lp[static_cast<std::size_t>(v)]);
    }
    CHECK(std::abs(sum - 1.0) < 1e-9);
  }
  CHECK(worst <= 1e-5);
}

TEST_CASE("a hinted model's predictor feeds each next pixel's median prediction, through reset, steps and slides") {
  // Raster 7 wide, seq 16: the window slides four times over 60 bytes; the hints must be those
  // of the whole history (computed here from it), whether the predictor built its window by
  // reset or by observing, and the logits those of the full pass over the window with them.
  auto c = config(16, true);
  c.hint_width = 7;
  TransformerPredictor p(sharp_model(c, 9), "transformer:hinted", TransformerCoding::fp32);
  TransformerPredictor fresh(sharp_model(c, 9), "transformer:hinted", TransformerCoding::fp32);  // the same weights
  auto reference = sharp_model(c, 9);
  const auto bytes = text(60, 10);
  p.reset({});
  std::array<double, 256> lp{}, lp_reset{};
  double worst = 0, worst_reset = 0, worst_unhinted = 0;
  for (std::size_t n = 1; n < bytes.size(); ++n) {
    p.observe(bytes[n - 1]);
    p.log_probs(lp);
    fresh.reset(ByteView(bytes.data(), n));
    fresh.log_probs(lp_reset);
    const std::size_t w = TransformerPredictor::window_length(n, c.seq, p.keep());
    std::vector<std::uint8_t> hints(w), wrong(w, 0);
    for (std::size_t t = 0; t < w; ++t) {
      const std::size_t k = n - w + t + 1;  // the byte after window position t
      hints[t] = raster_prediction(bytes.data() + k, k, c.hint_width);
    }
    reference->forward(bytes.data() + n - w, nullptr, 1, static_cast<int>(w), hints.data());
    std::array<double, 256> full{};
    log_softmax(full.data(), reference->logits() + (w - 1) * 256, 256);
    reference->forward(bytes.data() + n - w, nullptr, 1, static_cast<int>(w), wrong.data());
    std::array<double, 256> unhinted{};
    log_softmax(unhinted.data(), reference->logits() + (w - 1) * 256, 256);
    worst = std::max(worst, max_abs_diff(lp, full));
    worst_reset = std::max(worst_reset, max_abs_diff(lp_reset, full));
    worst_unhinted = std::max(worst_unhinted, max_abs_diff(lp, unhinted));
  }
  CHECK(worst <= 1e-5);
  CHECK(worst_reset <= 1e-5);
  CHECK(worst_unhinted > 1e-2);  // the hints matter: the comparison is not vacuous
}
