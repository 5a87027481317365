// The whole transformer: parameter counts of the paper's configs, a finite-difference check of
// every parameter tensor's gradient through the full model (double precision), and the float
// model against the double one, batching, causality.
//
// Gradient tolerance: |analytic − numeric| ≤ 1e-7 + 1e-6·|numeric| (central differences, step
// 1e-6, double), as in test_transformer_layers.cpp.
#include <doctest/doctest.h>

#include <omp.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "src/transformer/layers.hpp"
#include "src/transformer/model.hpp"
#include "zgen/errors.hpp"

using namespace zgen;
using namespace zgen::transformer;

namespace {

TransformerConfig tiny(bool learned_positions, bool tied_head) {
  TransformerConfig c;
  c.layers = 2;
  c.dim = 16;
  c.heads = 2;
  c.seq = 8;
  c.learned_positions = learned_positions;
  c.tied_head = tied_head;
  return c;
}

// GPT-2 initialisation, then noise everywhere so that gains ≠ 1 and biases ≠ 0 are exercised.
template <typename F>
void randomise(Transformer<F>& m, std::uint64_t seed, double noise) {
  m.init_weights(seed);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(0.0, noise);
  for (auto& p : m.parameters()) p += static_cast<F>(d(rng));
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint64_t seed, int alphabet = 256) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng() % static_cast<unsigned>(alphabet));
  return v;
}

}  // namespace

TEST_CASE("the paper's configs have the paper's parameter counts") {
  CHECK(TransformerConfig::named("200k").num_parameters() == 232'832);    // paper: ≈232K
  CHECK(TransformerConfig::named("800k").num_parameters() == 858'880);    // paper: ≈857K
  CHECK(TransformerConfig::named("3.2m").num_parameters() == 3'290'624);  // paper: ≈3.29M
  auto learned = TransformerConfig::named("800k");
  learned.learned_positions = true;
  learned.tied_head = true;
  CHECK(learned.num_parameters() == 858'880 + 2048 * 128 - 256 * 128);
  CHECK_THROWS_AS(TransformerConfig::named("1b"), UserError);
  MESSAGE(TransformerConfig::named("800k").describe());

  for (bool lp : {false, true})
    for (bool tied : {false, true}) {
      const auto c = tiny(lp, tied);
      const auto layout = parameter_layout(c);
      std::size_t at = 0;
      std::set<std::string> names;
      for (const auto& s : layout) {
        CHECK(s.offset == at);  // the slots tile the buffer in order
        at += s.size;
        CHECK(names.insert(s.name).second);
      }
      CHECK(at == c.num_parameters());
    }
}

TEST_CASE("config validation is one-line UserErrors") {
  TransformerConfig c = tiny(false, false);
  c.heads = 3;  // 16 is not a multiple of 3
  CHECK_THROWS_AS(c.validate(), UserError);
  c = tiny(false, false);
  c.vocab = 100;
  CHECK_THROWS_AS(c.validate(), UserError);
  c = tiny(false, false);
  c.seq = 0;
  CHECK_THROWS_AS(c.validate(), UserError);
  CHECK_THROWS_AS(Transformer<float>{c}, UserError);
  c = tiny(false, false);
  CHECK(TransformerConfig::from_metadata(c.to_metadata()) == c);
  auto md = c.to_metadata();
  md["zgen.layers"] = "2x";
  CHECK_THROWS_AS(TransformerConfig::from_metadata(md), UserError);
  md = c.to_metadata();
  md.erase("zgen.dim");
  CHECK_THROWS_AS(TransformerConfig::from_metadata(md), UserError);

  // The raster width: written only when set (a checkpoint without it reads as 0), and the
  // window must hold the row above (seq ≥ 2W + 2).
  CHECK(c.to_metadata().count("zgen.raster_width") == 0);
  c.raster_width = 3;  // tiny's seq is 8 = 2·3 + 2
  c.validate();
  CHECK(c.to_metadata().at("zgen.raster_width") == "3");
  CHECK(TransformerConfig::from_metadata(c.to_metadata()) == c);
  c.raster_width = 4;
  CHECK_THROWS_AS(c.validate(), UserError);
  c.raster_width = -1;
  CHECK_THROWS_AS(c.validate(), UserError);
  md = tiny(false, false).to_metadata();
  md["zgen.raster_width"] = "wide";
  CHECK_THROWS_AS(TransformerConfig::from_metadata(md), UserError);

  // Raster hints: the same rules, one more (V,C) table, and not together with residuals.
  c = tiny(false, false);
  const std::size_t plain = c.num_parameters();
  c.hint_width = 3;
  c.validate();
  CHECK(c.num_parameters() == plain + 256 * 16);
  CHECK(Transformer<float>(c).layout()[1].name == "transformer.wme.weight");
  CHECK(c.to_metadata().at("zgen.hint_width") == "3");
  CHECK(TransformerConfig::from_metadata(c.to_metadata()) == c);
  CHECK(c.describe().find("hint embedding 4,096") != std::string::npos);
  c.raster_width = 3;
  CHECK_THROWS_AS(c.validate(), UserError);
  c.raster_width = 0;
  c.hint_width = 4;
  CHECK_THROWS_AS(c.validate(), UserError);
  c.hint_width = 3;
  Transformer<float> hinted(c);
  const std::vector<std::uint8_t> bytes(8, 1);
  CHECK_THROWS_AS(hinted.forward(bytes.data(), nullptr, 1, 8), std::invalid_argument);  // hints are required
}

TEST_CASE("whole-model gradients match finite differences for every parameter tensor") {
  // learned+tied and sinusoidal+untied cover both options of each; the third model takes raster
  // hints (a second embedding table).
  for (int variant : {0, 1, 2}) {
    const bool learned = variant == 0, tied = variant == 0;
    CAPTURE(variant);
    auto config = tiny(learned, tied);
    if (variant == 2) config.hint_width = 3;  // tiny's seq is 8 = 2·3 + 2
    Transformer<double> model(config);
    randomise(model, 11, 0.05);
    const int B = 2, T = 8;
    const auto inputs = random_bytes(B * T, 1, 12), targets = random_bytes(B * T, 2, 12);
    const auto hints = random_bytes(B * T, 4, 12);
    auto loss = [&] { return model.forward(inputs.data(), targets.data(), B, T, hints.data()); };
    model.zero_grad();
    loss();
    model.backward();
    const std::vector<double> grads(model.gradients().begin(), model.gradients().end());
    auto params = model.parameters();

    std::mt19937_64 rng(3);
    for (const auto& slot : model.layout()) {
      // Every element of small tensors; 48 random ones of large tensors plus, for embedding-like
      // (V,C) tensors, every element of the rows of two bytes that occur in the inputs.
      std::vector<std::size_t> idx;
      if (slot.size <= 64) {
        for (std::size_t i = 0; i < slot.size; ++i) idx.push_back(i);
      } else {
        for (int k = 0; k < 48; ++k) idx.push_back(rng() % slot.size);
        if (slot.shape.size() == 2 && slot.shape[0] == 256)
          for (std::uint8_t byte : {inputs[0], targets[3], hints[0]})
            for (int c = 0; c < config.dim; ++c) idx.push_back(static_cast<std::size_t>(byte) * config.dim + c);
      }
      int bad = 0;
      for (std::size_t i : idx) {
        double& p = params[slot.offset + i];
        const double saved = p;
        p = saved + 1e-6;
        const double up = loss();
        p = saved - 1e-6;
        const double down = loss();
        p = saved;
        const double numeric = (up - down) / 2e-6, analytic = grads[slot.offset + i];
        if (std::abs(analytic - numeric) > 1e-7 + 1e-6 * std::abs(numeric) && bad++ < 3)
          MESSAGE(slot.name << "[" << i << "] analytic " << analytic << " numeric " << numeric);
      }
      CAPTURE(slot.name);
      CHECK(bad == 0);
    }
  }
}

TEST_CASE("the float model equals the double model up to float rounding") {
  const auto config = tiny(false, false);
  Transformer<double> md(config);
  Transformer<float> mf(config);
  randomise(md, 5, 0.1);
  for (std::size_t i = 0; i < md.parameters().size(); ++i) mf.parameters()[i] = static_cast<float>(md.parameters()[i]);
  const int B = 3, T = 8;
  const auto inputs = random_bytes(B * T, 4), targets = random_bytes(B * T, 5);
  const double ld = md.forward(inputs.data(), targets.data(), B, T);
  const double lf = mf.forward(inputs.data(), targets.data(), B, T);
  CHECK(lf == doctest::Approx(ld).epsilon(1e-5));
  md.zero_grad();
  mf.zero_grad();
  md.backward();
  mf.backward();
  double max_diff = 0, max_grad = 0;
  for (std::size_t i = 0; i < md.gradients().size(); ++i) {
    max_diff = std::max(max_diff, std::abs(md.gradients()[i] - mf.gradients()[i]));
    max_grad = std::max(max_grad, std::abs(md.gradients()[i]));
  }
  CAPTURE(max_grad);
  CHECK(max_diff <= 1e-4 * max_grad);
}

TEST_CASE("keeping attention's probabilities: the same loss, the gradients within half precision") {
  auto config = tiny(false, false);
  config.seq = 80;  // more than one query tile (64) and five 16-row groups of the kept rows
  Transformer<float> m(config);
  if (!attention_keeps_probs<float>(config.dim / config.heads)) {
    MESSAGE("this build cannot keep attention's probabilities (no F16C kernels): nothing to compare");
    return;
  }
  randomise(m, 21, 0.2);
  const int B = 3, T = 80;
  const auto inputs = random_bytes(B * T, 10), targets = random_bytes(B * T, 11);
  std::vector<std::vector<float>> grads;
  std::vector<double> losses;
  for (const bool keep : {false, true}) {
    m.keep_attention_probs(keep);
    m.zero_grad();
    losses.push_back(m.forward(inputs.data(), targets.data(), B, T));
    m.backward();
    grads.emplace_back(m.gradients().begin(), m.gradients().end());
  }
  CHECK(losses[1] == losses[0]);  // the forward computes the same; it only also stores
  double max_diff = 0, max_grad = 0;
  for (std::size_t i = 0; i < grads[0].size(); ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::abs(grads[1][i] - grads[0][i])));
    max_grad = std::max(max_grad, static_cast<double>(std::abs(grads[0][i])));
  }
  CAPTURE(max_grad);
  CHECK(max_diff > 0);                   // the backward did read the kept values
  CHECK(max_diff <= 2e-3 * max_grad);    // half precision's rounding, not a misplaced row
}

TEST_CASE("sequences in a batch do not see each other, and no position sees the future") {
  auto config = tiny(true, false);
  config.seq = 80;  // longer than one attention tile
  Transformer<float> m(config);
  randomise(m, 9, 0.2);
  const int B = 3, T = 80, V = 256;
  auto inputs = random_bytes(B * T, 6);
  m.forward(inputs.data(), nullptr, B, T);
  const std::vector<float> batched(m.logits(), m.logits() + B * T * V);
  for (int b = 0; b < B; ++b) {
    m.forward(inputs.data() + b * T, nullptr, 1, T);
    for (int i = 0; i < T * V; ++i) REQUIRE(m.logits()[i] == doctest::Approx(batched[b * T * V + i]).epsilon(1e-5));
  }
  // Changing byte 50 of sequence 0 leaves logits 0..49 as they were and changes 50.
  inputs[50] ^= 0x55;
  m.forward(inputs.data(), nullptr, 1, T);
  for (int i = 0; i < 50 * V; ++i) REQUIRE(m.logits()[i] == batched[i]);
  bool changed = false;
  for (int i = 50 * V; i < 51 * V; ++i) changed = changed || m.logits()[i] != batched[i];
  CHECK(changed);
}

TEST_CASE("backward accumulates: two backward passes give twice the gradient") {
  Transformer<double> m(tiny(false, true));
  randomise(m, 13, 0.05);
  const auto inputs = random_bytes(16, 7), targets = random_bytes(16, 8);
  m.zero_grad();
  m.forward(inputs.data(), targets.data(), 2, 8);
  m.backward();
  const std::vector<double> once(m.gradients().begin(), m.gradients().end());
  m.forward(inputs.data(), targets.data(), 2, 8);
  m.backward();
  for (std::size_t i = 0; i < once.size(); ++i) REQUIRE(m.gradients()[i] == doctest::Approx(2 * once[i]).epsilon(1e-12));
}

TEST_CASE("the forward pass does not depend on the thread count (bit for bit)") {
  // Encoder and decoder of a compressed file may run with different --threads; the probabilities
  // must still be identical. Big enough (1024 rows, T=128) for the threaded paths to engage.
  TransformerConfig c = tiny(false, false);
  c.dim = 64;
  c.heads = 2;
  c.seq = 128;
  Transformer<float> m(c);
  randomise(m, 17, 0.1);
  const int B = 8, T = 128, V = 256;
  const auto inputs = random_bytes(B * T, 9);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    m.forward(inputs.data(), nullptr, B, T);
    results.emplace_back(m.logits(), m.logits() + B * T * V);
  }
  omp_set_num_threads(omp_get_num_procs());
  for (std::size_t r = 1; r < results.size(); ++r) CHECK(results[r] == results[0]);
}
