// zgen against its PyTorch twin (scripts/torch_twin.py, issue 4): the twin wrote two tiny
// checkpoints in zgen's format (seeded weights, not trained), a batch of real text and what
// PyTorch computes for it in float64 from the checkpoint's float32 weights: logits (14 full rows),
// the loss of every position, the mean loss and the gradient of every parameter tensor. This test
// loads each checkpoint with load_checkpoint, runs zgen's forward and backward on the same batch
// and compares every number. PyTorch is not needed: the fixtures are committed
// (regenerate: scripts/torch_twin.py fixture --out-dir tests/data).
//
// Fixtures (tests/data/twin-*.safetensors): layers 2, dim 8, heads 2, B 2 × T 144 bytes of
// tests/data/sotu-valid-30k.txt (T is longer than zgen's attention tile, so several query tiles
// run); one with sinusoidal positions and an untied head, one with learned positions and a tied
// head. Weights are large (matrices N(0, 1/fan_in), gains 1 ± 0.2, biases ± 0.1, embeddings ± 0.5)
// so that softmax, GELU and LayerNorm all work away from their linear regimes.
//
// Tolerances: an element passes when |zgen − torch| ≤ rtol·|torch| + atol·max|torch over the tensor|
// (the atol term covers gradients that are zero up to rounding, e.g. the key biases' gradient):
//   - Transformer<float> (the model zgen trains and predicts with): rtol 5e-5, atol 5e-6. Measured
//     on these fixtures: worst |Δ| / max|torch| ≈ 3e-7 on logits and losses, ≈ 8e-7 on gradients;
//     the worst element sits at ≈ 0.09 × its tolerance (TWIN_VERBOSE=1 prints every tensor's).
//   - Transformer<double> with the same (float32) weights: rtol 4e-7, atol 1e-9. The expected values
//     are stored as float32, whose rounding alone is ≤ 6e-8 relative (measured worst: 5.8e-8, at
//     0.15 × the tolerance); anything beyond that would be a difference of arithmetic, so this
//     catches even a wrong LayerNorm epsilon or GELU constant.
//   - The mean loss also against the float64 value in the metadata: 1e-6 relative (float model),
//     1e-12 (double model).
// The test can fail: the last case moves one weight (by 1e-2 for the float model, 1e-4 for the
// double one) and requires the comparisons of logits, losses and two gradients to fail.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "src/transformer/safetensors.hpp"
#include "src/transformer/checkpoint.hpp"
#include "src/transformer/layers.hpp"
#include "src/transformer/model.hpp"

using namespace zgen;
using namespace zgen::transformer;

namespace {

struct Tolerance {
  double rtol, atol;
};
constexpr Tolerance kFloatTol{5e-5, 5e-6};
constexpr Tolerance kDoubleTol{4e-7, 1e-9};
constexpr double kFloatLossTol = 1e-6, kDoubleLossTol = 1e-12;

std::string fixture_path(const std::string& name) { return std::string(ZGEN_TEST_DATA) + "/" + name; }

// One compared tensor: worst = max over elements of |a − e| / (rtol·|e| + atol·max|e|); ≤ 1 passes.
struct Comparison {
  std::string what;
  double worst = 0, worst_relative = 0;  // worst_relative: max |a − e| / max|e|, for the record
  std::size_t at = 0;
  double actual = 0, expected = 0;
};

template <typename F>
Comparison compare(const std::string& what, const F* actual, const std::vector<float>& expected, Tolerance tol) {
  Comparison c{what};
  double scale = 0;
  for (float e : expected) scale = std::max(scale, std::fabs(static_cast<double>(e)));
  REQUIRE_MESSAGE(scale > 0, what, ": the expected values are all zero, which would compare nothing");
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double a = static_cast<double>(actual[i]), e = expected[i];
    REQUIRE_MESSAGE(std::isfinite(a), what, "[", i, "] is not finite");
    const double r = std::fabs(a - e) / (tol.rtol * std::fabs(e) + tol.atol * scale);
    c.worst_relative = std::max(c.worst_relative, std::fabs(a - e) / scale);
    if (r > c.worst) c.worst = r, c.at = i, c.actual = a, c.expected = e;
  }
  return c;
}

struct Fixture {
  Checkpoint checkpoint;
  safetensors::File expected;
  int B = 0, T = 0;
  std::vector<std::uint8_t> inputs, targets;  // (B,T)
  double loss64 = 0;                          // the mean loss, float64

  explicit Fixture(const std::string& stem)
      : checkpoint(load_checkpoint(fixture_path(stem + ".safetensors"))),
        expected(safetensors::load(fixture_path(stem + "-expected.safetensors"))) {
    const auto& shape = expected.tensors.at("inputs").shape;
    REQUIRE(shape.size() == 2);
    B = static_cast<int>(shape[0]);
    T = static_cast<int>(shape[1]);
    for (const char* name : {"inputs", "targets"}) {
      auto& out = std::string(name) == "inputs" ? inputs : targets;
      for (float v : expected.read(name)) {
        REQUIRE((v >= 0 && v <= 255 && v == std::floor(v)));
        out.push_back(static_cast<std::uint8_t>(v));
      }
    }
    REQUIRE(inputs.size() == static_cast<std::size_t>(B) * T);
    loss64 = std::stod(expected.metadata.at("loss_float64"));
  }
};

// zgen's forward and backward on the fixture's batch, compared with the twin's numbers.
template <typename F>
std::vector<Comparison> run_and_compare(Transformer<F>& m, const Fixture& fx, Tolerance tol, double loss_tol) {
  const int B = fx.B, T = fx.T, V = m.config().vocab;
  std::vector<Comparison> out;

  // Logits (without targets the forward keeps them) and, from them, every position's loss.
  m.forward(fx.inputs.data(), nullptr, B, T);
  const std::vector<float> rows = fx.expected.read("logit_rows");
  const std::vector<float> logits = fx.expected.read("logits");  // (rows, V)
  std::vector<F> picked;
  for (float r : rows) {
    const F* row = m.logits() + static_cast<std::ptrdiff_t>(r) * V;
    picked.insert(picked.end(), row, row + V);
  }
  out.push_back(compare("logits", picked.data(), logits, tol));
  std::vector<double> losses(static_cast<std::size_t>(B) * T), logp(static_cast<std::size_t>(V));
  for (std::size_t i = 0; i < losses.size(); ++i) {
    log_softmax(logp.data(), m.logits() + i * V, V);
    losses[i] = -logp[fx.targets[i]];
  }
  out.push_back(compare("losses", losses.data(), fx.expected.read("losses"), tol));

  // The mean loss, then the gradient of every parameter tensor.
  m.zero_grad();
  const double loss = m.forward(fx.inputs.data(), fx.targets.data(), B, T);
  out.push_back(compare("loss", &loss, fx.expected.read("loss"), tol));
  Comparison exact{"loss vs float64"};
  exact.worst = std::fabs(loss - fx.loss64) / (loss_tol * fx.loss64);
  exact.worst_relative = std::fabs(loss - fx.loss64) / fx.loss64;
  exact.actual = loss, exact.expected = fx.loss64;
  out.push_back(exact);
  m.backward();
  for (const auto& slot : m.layout()) {
    const std::vector<float> g = fx.expected.read("grad." + slot.name);
    REQUIRE(g.size() == slot.size);
    out.push_back(compare("grad " + slot.name, m.gradients().data() + slot.offset, g, tol));
  }
  return out;
}

void check_all(const std::vector<Comparison>& cs, const std::string& model) {
  double worst_rel_logits = 0, worst_rel_grads = 0;
  for (const auto& c : cs) {
    INFO(model, " ", c.what, "[", c.at, "]: zgen ", c.actual, ", torch ", c.expected, " (", c.worst,
         " × the tolerance)");
    CHECK(c.worst <= 1.0);
    if (std::getenv("TWIN_VERBOSE")) MESSAGE(model, " ", c.what, " ", c.worst, " rel ", c.worst_relative);
    double& w = c.what.starts_with("grad") ? worst_rel_grads : worst_rel_logits;
    w = std::max(w, c.worst_relative);
  }
  double worst = 0;
  for (const auto& c : cs) worst = std::max(worst, c.worst);
  MESSAGE(model, ": ", cs.size(), " tensors compared; worst |Δ|/max|torch|: logits and losses ", worst_rel_logits,
          ", gradients ", worst_rel_grads, "; worst element at ", worst, " × its tolerance");
}

void check_fixture(const std::string& stem, bool learned_positions, bool tied_head) {
  Fixture fx(stem);
  auto& mf = *fx.checkpoint.model;
  REQUIRE(fx.checkpoint.config.learned_positions == learned_positions);
  REQUIRE(fx.checkpoint.config.tied_head == tied_head);
  check_all(run_and_compare(mf, fx, kFloatTol, kFloatLossTol), stem + " float");

  Transformer<double> md(fx.checkpoint.config);
  std::copy(mf.parameters().begin(), mf.parameters().end(), md.parameters().begin());
  check_all(run_and_compare(md, fx, kDoubleTol, kDoubleLossTol), stem + " double");
}

double worst_of(const std::vector<Comparison>& cs, const std::string& prefix) {
  double w = 0;
  for (const auto& c : cs)
    if (c.what.starts_with(prefix)) w = std::max(w, c.worst);
  return w;
}

}  // namespace

TEST_CASE("twin: sinusoidal positions, untied head: logits, losses and every gradient match PyTorch") {
  check_fixture("twin-sinusoidal-untied", false, false);
}

TEST_CASE("twin: learned positions, tied head: logits, losses and every gradient match PyTorch") {
  check_fixture("twin-learned-tied", true, true);
}

TEST_CASE("twin: the comparison fails when zgen's model differs by one weight") {
  Fixture fx("twin-sinusoidal-untied");
  auto& mf = *fx.checkpoint.model;
  const auto& slots = mf.layout();
  const auto it = std::find_if(slots.begin(), slots.end(),
                               [](const ParameterSlot& s) { return s.name == "transformer.h.1.mlp.c_fc.weight"; });
  REQUIRE(it != slots.end());
  const std::size_t at = it->offset + 5;  // one weight of the last layer's MLP (|w| ≈ 0.35 here)
  Transformer<double> md(fx.checkpoint.config);
  std::copy(mf.parameters().begin(), mf.parameters().end(), md.parameters().begin());

  // The float comparison notices a change of 1e-2 in that weight; the double one, 1e-4. Both
  // upstream (layer 0's gradients) and downstream (the head's) of the change.
  mf.parameters()[at] += 1e-2f;
  md.parameters()[at] += 1e-4;
  for (const auto& cs : {run_and_compare(mf, fx, kFloatTol, kFloatLossTol),
                         run_and_compare(md, fx, kDoubleTol, kDoubleLossTol)}) {
    MESSAGE("perturbed: worst × tolerance: logits ", worst_of(cs, "logits"), ", losses ", worst_of(cs, "losses"),
            ", layer 0 qkv gradient ", worst_of(cs, "grad transformer.h.0.attn.c_attn.weight"), ", head gradient ",
            worst_of(cs, "grad lm_head.weight"));
    CHECK(worst_of(cs, "logits") > 1.0);
    CHECK(worst_of(cs, "losses") > 1.0);
    CHECK(worst_of(cs, "grad transformer.h.0.attn.c_attn.weight") > 1.0);
    CHECK(worst_of(cs, "grad lm_head.weight") > 1.0);
  }
}
