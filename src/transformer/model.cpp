#include "src/transformer/model.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "src/coding/quantize.hpp"
#include "src/common/exact_math.hpp"
#include "src/common/rng.hpp"
#include "src/transformer/block.hpp"
#include "src/transformer/layers.hpp"

namespace zgen::transformer {


std::vector<ParameterSlot> parameter_layout(const TransformerConfig& c) {
  c.validate();
  const std::int64_t V = c.vocab, C = c.dim, T = c.seq;
  std::vector<ParameterSlot> slots;
  std::size_t offset = 0;
  auto add = [&](std::string name, std::vector<std::int64_t> shape, bool decay) {
    std::size_t size = 1;
    for (auto d : shape) size *= static_cast<std::size_t>(d);
    slots.push_back({std::move(name), std::move(shape), offset, size, decay});
    offset += size;
  };
  add("transformer.wte.weight", {V, C}, false);
  if (c.hint_width > 0) add("transformer.wme.weight", {V, C}, false);
  if (c.learned_positions) add("transformer.wpe.weight", {T, C}, false);
  struct Kind {
    const char* suffix;
    std::vector<std::int64_t> shape;
    bool decay;
  };
  const Kind kinds[] = {
      {"ln_1.weight", {C}, false},          {"ln_1.bias", {C}, false},
      {"attn.c_attn.weight", {3 * C, C}, true}, {"attn.c_attn.bias", {3 * C}, false},
      {"attn.c_proj.weight", {C, C}, true},  {"attn.c_proj.bias", {C}, false},
      {"ln_2.weight", {C}, false},          {"ln_2.bias", {C}, false},
      {"mlp.c_fc.weight", {4 * C, C}, true}, {"mlp.c_fc.bias", {4 * C}, false},
      {"mlp.c_proj.weight", {C, 4 * C}, true}, {"mlp.c_proj.bias", {C}, false},
  };
  for (const auto& k : kinds)
    for (int l = 0; l < c.layers; ++l) add("transformer.h." + std::to_string(l) + "." + k.suffix, k.shape, k.decay);
  add("transformer.ln_f.weight", {C}, false);
  add("transformer.ln_f.bias", {C}, false);
  if (!c.tied_head) add("lm_head.weight", {V, C}, true);
  if (offset != c.num_parameters()) throw std::logic_error("parameter layout disagrees with num_parameters");
  return slots;
}

template <typename F>
std::vector<F> sinusoidal_positions(int seq, int dim) {
  std::vector<F> table(static_cast<std::size_t>(seq) * dim);  // (seq, dim)
  // ω_i = exp(−(2i/C)·ln 10000), sin and cos from src/common/exact_math.hpp, not libm: the table
  // feeds the coding path, and must be the same on every machine.
  constexpr double kLn10000 = 9.21034037197618273607;
  for (int t = 0; t < seq; ++t)
    for (int i = 0; i < dim / 2; ++i) {
      const double omega = deterministic_exp(-2.0 * i / dim * kLn10000);
      table[static_cast<std::size_t>(t) * dim + 2 * i] = static_cast<F>(kSinusoidScale * exact_sin(t * omega));
      table[static_cast<std::size_t>(t) * dim + 2 * i + 1] = static_cast<F>(kSinusoidScale * exact_cos(t * omega));
    }
  return table;
}

namespace {

// Points every tensor of `t` into `base` following the layout's order.
template <typename F>
ParameterTensors<F> point_into(F* base, const TransformerConfig& c) {
  const std::size_t V = c.vocab, C = c.dim, L = c.layers, T = c.seq;
  ParameterTensors<F> t;
  F* p = base;
  auto take = [&](std::size_t n) {
    F* r = p;
    p += n;
    return r;
  };
  t.wte = take(V * C);
  if (c.hint_width > 0) t.wme = take(V * C);
  if (c.learned_positions) t.wpe = take(T * C);
  t.ln1w = take(L * C);
  t.ln1b = take(L * C);
  t.qkvw = take(L * 3 * C * C);
  t.qkvb = take(L * 3 * C);
  t.attprojw = take(L * C * C);
  t.attprojb = take(L * C);
  t.ln2w = take(L * C);
  t.ln2b = take(L * C);
  t.fcw = take(L * 4 * C * C);
  t.fcb = take(L * 4 * C);
  t.fcprojw = take(L * 4 * C * C);
  t.fcprojb = take(L * C);
  t.lnfw = take(C);
  t.lnfb = take(C);
  t.head = c.tied_head ? t.wte : take(V * C);
  if (static_cast<std::size_t>(p - base) != c.num_parameters()) throw std::logic_error("tensor pointers overrun");
  return t;
}

}  // namespace

template <typename F>
Transformer<F>::Transformer(const TransformerConfig& config)
    : config_(config),
      layout_(parameter_layout(config)),
      params_(config.num_parameters(), F(0)),
      grads_(config.num_parameters(), F(0)) {
  w_ = point_into(params_.data(), config_);
  g_ = point_into(grads_.data(), config_);
  if (!config_.learned_positions) sinusoid_ = sinusoidal_positions<F>(config_.seq, config_.dim);
}

template <typename F>
const F* Transformer<F>::position_table() const {
  return config_.learned_positions ? w_.wpe : sinusoid_.data();
}

template <typename F>
void Transformer<F>::init_weights(std::uint64_t seed) {
  SplitMix64 rng{seed};
  const double residual_std = 0.02 / std::sqrt(2.0 * config_.layers);
  for (const auto& s : layout_) {
    F* p = params_.data() + s.offset;
    const bool is_bias = s.name.ends_with(".bias");
    const bool is_gain = s.name.find(".ln_") != std::string::npos && s.name.ends_with(".weight");
    if (is_bias) {
      std::fill(p, p + s.size, F(0));
    } else if (is_gain) {
      std::fill(p, p + s.size, F(1));
    } else {
      const bool residual_proj = s.name.ends_with("c_proj.weight");
      const double std = residual_proj ? residual_std : 0.02;
      for (std::size_t i = 0; i < s.size; ++i) p[i] = static_cast<F>(std * rng.normal());
    }
  }
}

template <typename F>
void Transformer<F>::zero_grad() {
  std::fill(grads_.begin(), grads_.end(), F(0));
}

template <typename F>
const F* Transformer<F>::qkv(int layer) const {
  return acts_.qkv + static_cast<std::size_t>(layer) * B_ * T_ * 3 * config_.dim;
}

template <typename F>
F* Transformer<F>::residual_in(int layer) const {
  const std::size_t BTC = static_cast<std::size_t>(B_) * T_ * config_.dim;
  return layer == 0 ? acts_.encoded : acts_.residual3 + static_cast<std::size_t>(layer - 1) * BTC;
}

template <typename F>
std::uint16_t* Transformer<F>::kept_probs(int layer) {
  if (!probs_kept_) return nullptr;
  const std::size_t per_layer = static_cast<std::size_t>(B_) * config_.heads * attention_probs_per_head(T_);
  return probs_buf_.data() + static_cast<std::size_t>(layer) * per_layer;  // (B,H,per head)
}

template <typename F>
void Transformer<F>::ensure_activations(int B, int T) {
  if (B == B_ && T == T_ && !act_buf_.empty()) return;
  const std::size_t L = config_.layers, C = config_.dim, V = config_.vocab, H = config_.heads;
  const std::size_t BT = static_cast<std::size_t>(B) * T;
  const std::size_t sizes[] = {
      BT * C,          // encoded
      L * BT * C,      // ln1
      L * BT,          // ln1_mean
      L * BT,          // ln1_rstd
      L * BT * 3 * C,  // qkv
      L * BT * C,      // atty
      L * H * BT,      // att_lse
      L * BT * C,      // residual2
      L * BT * C,      // ln2
      L * BT,          // ln2_mean
      L * BT,          // ln2_rstd
      L * BT * 4 * C,  // fch
      L * BT * C,      // residual3
      BT * C,          // lnf
      BT,              // lnf_mean
      BT,              // lnf_rstd
      BT * V,          // logits
      BT,              // losses
      BT * 4 * C,      // fch_gelu
  };
  std::size_t total = 0;
  for (auto s : sizes) total += s;
  act_buf_.assign(total, F(0));
  F* p = act_buf_.data();
  F** slots[] = {&acts_.encoded,  &acts_.ln1,      &acts_.ln1_mean, &acts_.ln1_rstd,  &acts_.qkv,
                 &acts_.atty,     &acts_.att_lse,  &acts_.residual2, &acts_.ln2,      &acts_.ln2_mean,
                 &acts_.ln2_rstd, &acts_.fch,      &acts_.residual3, &acts_.lnf,      &acts_.lnf_mean,
                 &acts_.lnf_rstd, &acts_.logits,   &acts_.losses,   &acts_.fch_gelu};
  static_assert(std::size(slots) == std::size(sizes));
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    *slots[i] = p;
    p += sizes[i];
  }
  grad_scratch_.clear();  // sized on the first backward at this shape
  grad_scratch_.shrink_to_fit();
  probs_buf_.clear();  // sized on the first forward that keeps them at this shape
  probs_buf_.shrink_to_fit();
  B_ = B;
  T_ = T;
}

template <typename F>
double Transformer<F>::forward(const std::uint8_t* inputs, const std::uint8_t* targets, int B, int T,
                               const std::uint8_t* hints) {
  if (B < 1 || T < 1 || T > config_.seq)
    throw std::invalid_argument("Transformer::forward: need B ≥ 1 and 1 ≤ T ≤ seq");
  if (w_.wme && !hints) throw std::invalid_argument("Transformer::forward: a model with raster hints needs them");
  ensure_activations(B, T);
  const int C = config_.dim, H = config_.heads, V = config_.vocab, L = config_.layers;
  const std::ptrdiff_t BT = static_cast<std::ptrdiff_t>(B) * T;
  inputs_.assign(inputs, inputs + BT);
  have_targets_ = targets != nullptr;
  if (have_targets_) targets_.assign(targets, targets + BT);
  probs_kept_ = have_targets_ && keep_probs_ && attention_keeps_probs<F>(C / H);
  if (probs_kept_ && probs_buf_.empty())
    probs_buf_.resize(static_cast<std::size_t>(L) * B * H * static_cast<std::size_t>(attention_probs_per_head(T)));

  encoder_forward(acts_.encoded, inputs, w_.wte, position_table(), B, T, C);  // (B,T,C)
  if (w_.wme) {
    hints_.assign(hints, hints + BT);
    embedding_add_forward(acts_.encoded, hints, w_.wme, BT, C);  // (B,T,C)
  }
  for (int l = 0; l < L; ++l) {
    BlockBuffers<F> b;
    b.residual = residual_in(l);                 // (B,T,C)
    b.ln1 = acts_.ln1 + l * BT * C;              // (B,T,C)
    b.ln1_mean = acts_.ln1_mean + l * BT;        // (B,T)
    b.ln1_rstd = acts_.ln1_rstd + l * BT;        // (B,T)
    b.qkv = acts_.qkv + l * BT * 3 * C;          // (B,T,3C)
    b.atty = acts_.atty + l * BT * C;            // (B,T,C)
    b.residual2 = acts_.residual2 + l * BT * C;  // (B,T,C)
    b.ln2 = acts_.ln2 + l * BT * C;              // (B,T,C)
    b.ln2_mean = acts_.ln2_mean + l * BT;        // (B,T)
    b.ln2_rstd = acts_.ln2_rstd + l * BT;        // (B,T)
    b.fch = acts_.fch + l * BT * 4 * C;          // (B,T,4C)
    b.fch_gelu = acts_.fch_gelu;                 // (B,T,4C) scratch: GELU is recomputed in the backward
    b.residual3 = acts_.residual3 + l * BT * C;  // (B,T,C)
    F* lse = acts_.att_lse + l * BT * H;         // (B,H,T)
    std::uint16_t* probs = kept_probs(l);
    block_forward(BlockWeights<F>(w_, l, C), b, BT, C, [&](F* atty, const F* qkv) {
      attention_forward(atty, lse, probs, qkv, B, T, C, H);
    });
  }
  layernorm_forward(acts_.lnf, acts_.lnf_mean, acts_.lnf_rstd, residual_in(L), w_.lnfw, w_.lnfb, BT, C);
  matmul_forward(acts_.logits, acts_.lnf, w_.head, static_cast<const F*>(nullptr), BT, C, V);  // (B,T,V)
  if (!targets) return 0.0;
  return crossentropy_forward(acts_.logits, acts_.losses, acts_.logits, targets, BT, V);
}

template <typename F>
void Transformer<F>::backward() {
  if (!have_targets_) throw std::logic_error("Transformer::backward needs a forward with targets first");
  const int B = B_, T = T_, C = config_.dim, H = config_.heads, V = config_.vocab, L = config_.layers;
  const std::ptrdiff_t BT = static_cast<std::ptrdiff_t>(B) * T;
  if (grad_scratch_.empty()) {
    grad_scratch_.assign(static_cast<std::size_t>(BT) * 9 * C, F(0));
    gs_.dresidual = grad_scratch_.data();    // (B,T,C)
    gs_.dbuf = gs_.dresidual + BT * C;       // (B,T,C)
    gs_.dqkv = gs_.dbuf + BT * C;            // (B,T,3C)
    gs_.dfch = gs_.dqkv + BT * 3 * C;        // (B,T,4C)
  }
  // The loss is the mean over B·T positions.
  crossentropy_backward(acts_.logits, acts_.logits, targets_.data(), static_cast<F>(1.0 / static_cast<double>(BT)),
                        BT, V);                                                                   // dlogits (B,T,V)
  matmul_backward(gs_.dbuf, g_.head, static_cast<F*>(nullptr), acts_.logits, acts_.lnf, w_.head, BT, C, V);  // dlnf
  std::fill(gs_.dresidual, gs_.dresidual + BT * C, F(0));
  layernorm_backward(gs_.dresidual, g_.lnfw, g_.lnfb, gs_.dbuf, residual_in(L), w_.lnfw, acts_.lnf_mean,
                     acts_.lnf_rstd, BT, C);
  for (int l = L - 1; l >= 0; --l) {
    const std::ptrdiff_t lC = static_cast<std::ptrdiff_t>(l) * C;
    const F* residual = residual_in(l);              // (B,T,C)
    const F* ln1 = acts_.ln1 + l * BT * C;           // (B,T,C)
    const F* qkv = acts_.qkv + l * BT * 3 * C;       // (B,T,3C)
    const F* atty = acts_.atty + l * BT * C;         // (B,T,C)
    const F* lse = acts_.att_lse + l * BT * H;       // (B,H,T)
    const F* residual2 = acts_.residual2 + l * BT * C;  // (B,T,C)
    const F* ln2 = acts_.ln2 + l * BT * C;           // (B,T,C)
    const F* fch = acts_.fch + l * BT * 4 * C;       // (B,T,4C)
    // gs_.dresidual holds d loss / d residual3 here.
    gelu_forward(acts_.fch_gelu, fch, BT * 4 * C);  // recompute instead of keeping (L,B,T,4C)
    matmul_backward(gs_.dfch, g_.fcprojw + lC * 4 * C, g_.fcprojb + lC, gs_.dresidual, acts_.fch_gelu,
                    w_.fcprojw + lC * 4 * C, BT, 4 * C, C);
    gelu_backward(gs_.dfch, fch, gs_.dfch, BT * 4 * C);
    matmul_backward(gs_.dbuf, g_.fcw + lC * 4 * C, g_.fcb + 4 * lC, gs_.dfch, ln2, w_.fcw + lC * 4 * C, BT, C,
                    4 * C);
    layernorm_backward(gs_.dresidual, g_.ln2w + lC, g_.ln2b + lC, gs_.dbuf, residual2, w_.ln2w + lC,
                       acts_.ln2_mean + l * BT, acts_.ln2_rstd + l * BT, BT, C);
    // gs_.dresidual now holds d loss / d residual2.
    matmul_backward(gs_.dbuf, g_.attprojw + lC * C, g_.attprojb + lC, gs_.dresidual, atty, w_.attprojw + lC * C, BT,
                    C, C);
    attention_backward(gs_.dqkv, gs_.dbuf, qkv, atty, lse, kept_probs(l), B, T, C, H);  // null: recomputed
    matmul_backward(gs_.dbuf, g_.qkvw + lC * 3 * C, g_.qkvb + 3 * lC, gs_.dqkv, ln1, w_.qkvw + lC * 3 * C, BT, C,
                    3 * C);
    layernorm_backward(gs_.dresidual, g_.ln1w + lC, g_.ln1b + lC, gs_.dbuf, residual, w_.ln1w + lC,
                       acts_.ln1_mean + l * BT, acts_.ln1_rstd + l * BT, BT, C);
    // gs_.dresidual now holds d loss / d residual entering layer l.
  }
  encoder_backward(g_.wte, g_.wpe, gs_.dresidual, inputs_.data(), B, T, C);
  if (g_.wme) embedding_add_backward(g_.wme, gs_.dresidual, hints_.data(), BT, C);
}

template std::vector<float> sinusoidal_positions<float>(int, int);
template std::vector<double> sinusoidal_positions<double>(int, int);
template class Transformer<float>;
template class Transformer<double>;

}  // namespace zgen::transformer
