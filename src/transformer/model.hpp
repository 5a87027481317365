#pragma once
// The transformer as one flat parameter buffer, one flat gradient buffer and the activations
// of the last forward pass (llm.c's layout), with forward, backward and initialisation.
// Architecture and sizes: see config.hpp.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "src/transformer/huge_page_allocator.hpp"
#include "zgen/transformer.hpp"

namespace zgen::transformer {

// One named tensor inside the parameter buffer. Names and shapes are nanoGPT's state-dict
// ("transformer.h.0.attn.c_attn.weight", (3C, C) as nn.Linear stores it), so a checkpoint loads
// into a PyTorch twin as it is.
struct ParameterSlot {
  std::string name;
  std::vector<std::int64_t> shape;
  std::size_t offset = 0;  // in elements, into the flat buffer
  std::size_t size = 0;    // elements
  // AdamW weight decay applies: the matrices of linear layers only; never LayerNorm gains or
  // biases, linear biases, token or position embeddings (a tied head is the token embedding,
  // so it is not decayed either).
  bool decay = false;
};

// The buffer's layout, in order, tiling [0, num_parameters()) without gaps. Per kind of tensor
// the layers are consecutive (llm.c's order), so e.g. all L qkv matrices form one (L,3C,C) block.
std::vector<ParameterSlot> parameter_layout(const TransformerConfig& config);

// Pointers into the parameter (or gradient) buffer; layer l's tensor is base + l·(its size).
template <typename F>
struct ParameterTensors {
  F* wte = nullptr;       // (V,C)
  F* wme = nullptr;       // (V,C) raster hints' embedding, nullptr without hints
  F* wpe = nullptr;       // (T_max,C), nullptr with sinusoidal positions
  F* ln1w = nullptr;      // (L,C)
  F* ln1b = nullptr;      // (L,C)
  F* qkvw = nullptr;      // (L,3C,C)
  F* qkvb = nullptr;      // (L,3C)
  F* attprojw = nullptr;  // (L,C,C)
  F* attprojb = nullptr;  // (L,C)
  F* ln2w = nullptr;      // (L,C)
  F* ln2b = nullptr;      // (L,C)
  F* fcw = nullptr;       // (L,4C,C)
  F* fcb = nullptr;       // (L,4C)
  F* fcprojw = nullptr;   // (L,C,4C)
  F* fcprojb = nullptr;   // (L,C)
  F* lnfw = nullptr;      // (C)
  F* lnfb = nullptr;      // (C)
  F* head = nullptr;      // (V,C), == wte when the head is tied
};

// The sinusoidal position table (Vaswani et al.): row t, columns 2i and 2i+1 hold
// s·sin(t·ω_i) and s·cos(t·ω_i), ω_i = 10000^(−2i/C), s = kSinusoidScale. Computed in double,
// then rounded.
//
// Why the scale: token embeddings start at GPT-2's N(0, 0.02²). An unscaled table (entries of
// size 1, RMS 0.71) outweighs them 35 to 1 in the residual stream, LayerNorm then sees almost
// nothing but the position, and training crawls: an 800k model spent its first 130 steps at the
// unigram entropy (4.3 bits/byte) and was still at 3.58 after 5M bytes. At s = 0.02 the table has
// the size of GPT-2's learned positions at initialisation (RMS 0.014 against 0.01–0.02), and the
// model learns as fast as with learned positions.
inline constexpr double kSinusoidScale = 0.02;
template <typename F>
std::vector<F> sinusoidal_positions(int seq, int dim);  // (seq, dim)

template <typename F>
class Transformer {
 public:
  explicit Transformer(const TransformerConfig& config);  // validates; parameters zero until init/load
  Transformer(const Transformer&) = delete;  // the tensor pointers point into our own buffers
  Transformer& operator=(const Transformer&) = delete;

  const TransformerConfig& config() const { return config_; }
  const std::vector<ParameterSlot>& layout() const { return layout_; }
  std::size_t num_parameters() const { return params_.size(); }
  std::span<F> parameters() { return params_; }
  std::span<const F> parameters() const { return params_; }
  std::span<F> gradients() { return grads_; }
  std::span<const F> gradients() const { return grads_; }
  const ParameterTensors<F>& weights() const { return w_; }
  const F* position_table() const;  // (T_max,C): the learned rows or the sinusoidal table

  // GPT-2's initialisation from a seed (same seed, same weights on every machine): N(0, 0.02)
  // for embeddings and linear matrices, the two residual projections scaled by 1/√(2L) so the
  // residual stream's variance does not grow with depth, biases 0, LayerNorm gains 1.
  void init_weights(std::uint64_t seed);

  // B sequences of T ≤ seq bytes; targets[b,t] is the byte that follows inputs[b,t]. With
  // targets, returns the mean cross-entropy in nats per byte and keeps what backward needs;
  // without (nullptr), returns 0 and logits() holds the (B,T,V) logits. A model with
  // hint_width needs hints (B,T): hints[b,t] is the raster prediction of the byte after
  // inputs[b,t]; without hint_width they are ignored.
  double forward(const std::uint8_t* inputs, const std::uint8_t* targets, int B, int T,
                 const std::uint8_t* hints = nullptr);
  // Training's trade of memory for speed: while on, a forward with targets keeps attention's
  // probabilities in half precision for the backward (src/transformer/layers.hpp), which then
  // skips recomputing them: L·B·H·T²/2 values of 2 bytes, 540 MB for the 800k config at
  // 8 × 2048, for a shorter backward (BENCHMARKS.md, "The transformer", stop 14). Off by
  // default; where the build cannot keep them
  // (double, no F16C, a head size not whole vectors) it changes nothing.
  void keep_attention_probs(bool on) { keep_probs_ = on; }
  void zero_grad();
  // Gradients of the last forward's mean loss, ADDED to gradients() (so micro-batches add up).
  void backward();

  const F* logits() const { return acts_.logits; }          // (B,T,V) after forward without targets
  const F* qkv(int layer) const;                             // (B,T,3C) of the last forward
  int batch() const { return B_; }
  int length() const { return T_; }
  std::size_t activation_bytes() const {
    return (act_buf_.size() + grad_scratch_.size()) * sizeof(F) + probs_buf_.size() * sizeof(std::uint16_t);
  }

 private:
  struct Activations {
    F* encoded = nullptr;    // (B,T,C)   embeddings: the residual stream entering layer 0
    F* ln1 = nullptr;        // (L,B,T,C)
    F* ln1_mean = nullptr;   // (L,B,T)
    F* ln1_rstd = nullptr;   // (L,B,T)
    F* qkv = nullptr;        // (L,B,T,3C)
    F* atty = nullptr;       // (L,B,T,C)  attention output before its projection
    F* att_lse = nullptr;    // (L,B,H,T)  softmax log-normalisers (the probabilities, when kept: probs_buf_)
    F* residual2 = nullptr;  // (L,B,T,C)  residual after the attention branch
    F* ln2 = nullptr;        // (L,B,T,C)
    F* ln2_mean = nullptr;   // (L,B,T)
    F* ln2_rstd = nullptr;   // (L,B,T)
    F* fch = nullptr;        // (L,B,T,4C) MLP hidden before GELU (GELU is recomputed, not kept)
    F* residual3 = nullptr;  // (L,B,T,C)  residual after the MLP branch: layer l+1's input
    F* lnf = nullptr;        // (B,T,C)
    F* lnf_mean = nullptr;   // (B,T)
    F* lnf_rstd = nullptr;   // (B,T)
    F* logits = nullptr;     // (B,T,V)    logits, then probabilities, then their gradient
    F* losses = nullptr;     // (B,T)
    F* fch_gelu = nullptr;   // (B,T,4C)   scratch: one layer's GELU output
  };
  struct GradScratch {
    F* dresidual = nullptr;  // (B,T,C)  gradient of the residual stream, walked down the layers
    F* dbuf = nullptr;       // (B,T,C)  gradient of a LayerNorm output or of the attention output
    F* dqkv = nullptr;       // (B,T,3C)
    F* dfch = nullptr;       // (B,T,4C)
  };
  void ensure_activations(int B, int T);
  F* residual_in(int layer) const;  // (B,T,C) the residual stream entering `layer`
  std::uint16_t* kept_probs(int layer);  // layer's part of probs_buf_ when the last forward kept them, else null

  TransformerConfig config_;
  std::vector<ParameterSlot> layout_;
  std::vector<F> params_, grads_;
  ParameterTensors<F> w_, g_;
  std::vector<F> sinusoid_;  // (T_max,C) when positions are not learned
  std::vector<F, HugePageAllocator<F>> act_buf_, grad_scratch_;
  std::vector<std::uint16_t, HugePageAllocator<std::uint16_t>> probs_buf_;  // (L,B,H,per head) when kept
  Activations acts_;
  GradScratch gs_;
  std::vector<std::uint8_t> inputs_, targets_, hints_;  // (B,T) of the last forward
  int B_ = 0, T_ = 0;
  bool have_targets_ = false;
  bool keep_probs_ = false;   // keep_attention_probs
  bool probs_kept_ = false;   // the last forward filled probs_buf_
};

extern template class Transformer<float>;
extern template class Transformer<double>;

}  // namespace zgen::transformer
