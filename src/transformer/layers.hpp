#pragma once
// The transformer's layers as plain forward/backward pairs over flat row-major buffers
// (llm.c's style). Every tensor carries its shape in a comment; N = B·T rows.
//
// Conventions, the same for every pair:
//   - Parameter gradients (dweight, dbias, dwte, ...) are ACCUMULATED (+=), so gradients of a
//     shared matrix (a tied head) and of several micro-batches add up; the caller zeroes them.
//   - Input gradients are OVERWRITTEN (=), except layernorm_backward's dinp, which is added
//     because a LayerNorm reads the residual stream and its gradient joins the residual's.
//   - F is float (training, inference) or double (gradient checks: the same code, exact enough
//     for finite differences to test it to 1e-6).
// Matrix products go through Eigen on whole (N, ·) blocks; loops over rows and over
// (batch, head) pairs use OpenMP with static schedules. Determinism:
//   - every forward function computes each output row on one thread, in an order that does not
//     depend on the split, so forward passes (hence a predictor's probabilities) are identical
//     bit for bit whatever the thread count (tested: test_transformer_model.cpp);
//   - gradients that sum over rows (LayerNorm gains and biases) add per-thread partials in thread
//     order, so training is reproducible at a fixed thread count (not across thread counts).
#include <cstddef>
#include <cstdint>

namespace zgen::transformer {

// LayerNorm's variance epsilon (PyTorch's default).
inline constexpr double kLayerNormEps = 1e-5;
// Queries per tile in attention: the scores of one tile are (kAttentionQueryBlock, T) floats
// per thread, the only attention memory beyond the (B,H,T) log-sum-exps kept for backward.
inline constexpr int kAttentionQueryBlock = 64;
// Keys per block in attention's backward pass (a multiple of 128, the AVX2 kernels' block):
// its (kAttentionQueryBlock, kAttentionKeyBlock) probabilities and their gradient stay in L2.
inline constexpr int kAttentionKeyBlock = 256;

// out[b,t,:] = wte[tokens[b,t], :] + pos[t, :]
template <typename F>
void encoder_forward(F* out,                     // (B,T,C)
                     const std::uint8_t* tokens,  // (B,T)
                     const F* wte,                // (V,C)
                     const F* pos,                // (T_max,C), T ≤ T_max: learned or sinusoidal rows
                     int B, int T, int C);
// dwte and dpos accumulate; dpos may be nullptr (fixed sinusoidal table).
template <typename F>
void encoder_backward(F* dwte,                    // (V,C)
                      F* dpos,                    // (T_max,C) or nullptr
                      const F* dout,              // (B,T,C)
                      const std::uint8_t* tokens,  // (B,T)
                      int B, int T, int C);

// A second embedding added to the encoder's output: out[n] += table[ids[n]] (raster hints).
template <typename F>
void embedding_add_forward(F* out,                  // (N,C)  +=
                           const std::uint8_t* ids,  // (N)
                           const F* table,           // (V,C)
                           std::ptrdiff_t N, int C);
// dtable[ids[n]] += dout[n], serially (a fixed order, like encoder_backward).
template <typename F>
void embedding_add_backward(F* dtable,               // (V,C)  +=
                            const F* dout,            // (N,C)
                            const std::uint8_t* ids,  // (N)
                            std::ptrdiff_t N, int C);

// out = (inp − mean) · rstd · weight + bias, per row; mean and rstd kept for backward.
template <typename F>
void layernorm_forward(F* out,         // (N,C)
                       F* mean,        // (N)
                       F* rstd,        // (N)
                       const F* inp,   // (N,C)
                       const F* weight,  // (C)
                       const F* bias,    // (C)
                       std::ptrdiff_t N, int C);
template <typename F>
void layernorm_backward(F* dinp,          // (N,C)  += (adds to the residual's gradient)
                        F* dweight,       // (C)    +=
                        F* dbias,         // (C)    +=
                        const F* dout,    // (N,C)
                        const F* inp,     // (N,C)
                        const F* weight,  // (C)
                        const F* mean,    // (N)
                        const F* rstd,    // (N)
                        std::ptrdiff_t N, int C);

// out = inp · weightᵀ + bias (PyTorch's nn.Linear layout: weight is (OC, C)).
template <typename F>
void matmul_forward(F* out,           // (N,OC)
                    const F* inp,     // (N,C)
                    const F* weight,  // (OC,C)
                    const F* bias,    // (OC) or nullptr
                    std::ptrdiff_t N, int C, int OC);
// dinp = dout · weight (overwritten; nullptr skips it), dweight += doutᵀ · inp, dbias += Σ_rows dout.
template <typename F>
void matmul_backward(F* dinp,          // (N,C) or nullptr
                     F* dweight,       // (OC,C)
                     F* dbias,         // (OC) or nullptr
                     const F* dout,    // (N,OC)
                     const F* inp,     // (N,C)
                     const F* weight,  // (OC,C)
                     std::ptrdiff_t N, int C, int OC);

// GELU, tanh approximation (PyTorch's GELU(approximate='tanh')).
template <typename F>
void gelu_forward(F* out,        // (N)
                  const F* inp,  // (N)
                  std::ptrdiff_t N);
// dinp = gelu'(inp) · dout; dinp may alias dout.
template <typename F>
void gelu_backward(F* dinp,        // (N)
                   const F* inp,   // (N)
                   const F* dout,  // (N)
                   std::ptrdiff_t N);

// Causal multi-head attention. qkv rows hold [q | k | v], each C = H·hs wide, head h at
// columns h·hs. out[b,t, h·hs..] = softmax(q·Kᵀ/√hs, keys ≤ t) · V.
//
// Memory: no (B,H,T,T) map in float is kept. Forward keeps lse = log Σ_j exp(s_tj) per
// (b,h,t); backward recomputes each tile's probabilities from q, k and lse (exactly the
// forward's values up to rounding), as FlashAttention does, unless the forward kept them in
// half precision (`probs`, below). The forward tiles only over queries: a tile
// is q_block queries against all keys up to its last query. The backward pairs each block of
// key_block keys (outer loop) with the query tiles that see it (inner loop), and keeps per
// thread a pair's probabilities and their gradient, the head's dQ sums (T,hs) and the key
// block's dK and dV sums. Products run on the AVX2 kernels or Eigen. The work is split over
// (b,h) pairs, which never write to the same place.
template <typename F>
void attention_forward(F* out,                // (B,T,C)
                       F* lse,                // (B,H,T)
                       std::uint16_t* probs,  // (B,H,attention_probs_per_head(T)) or null: see below
                       const F* qkv,          // (B,T,3C)
                       int B, int T, int C, int H, int q_block = kAttentionQueryBlock);
template <typename F>
void attention_backward(F* dqkv,                     // (B,T,3C)  overwritten
                        const F* dout,               // (B,T,C)
                        const F* qkv,                // (B,T,3C)
                        const F* out,                // (B,T,C)   the forward's output
                        const F* lse,                // (B,H,T)   the forward's log-sum-exps
                        const std::uint16_t* probs,  // the forward's probabilities, or null
                        int B, int T, int C, int H, int q_block = kAttentionQueryBlock,
                        int key_block = kAttentionKeyBlock);  // rounded up to a multiple of 16

// Kept probabilities (optional, training's choice of speed over memory): where
// attention_keeps_probs<F>(C / H), the forward given `probs` writes each (b,h)'s causal
// triangle of normalised probabilities there in IEEE half precision (relative error ≤ 2⁻¹²;
// streaming stores, past the caches), and the backward given them reads them instead of
// recomputing the scores and their exponentials. Row i of a head starts at
// attention_prob_row(i) and holds i + 1 values, then zeros up to a multiple of 16 (so every
// row starts 32-byte aligned). Elsewhere (double, a CPU without the kernels, a head size not whole
// vectors) both passes ignore `probs`. At the 800k config's batch of 8 × 2048 that is 134 MB a
// layer, against 1 GB for the triangle in float. The backward gains more time than the forward's
// stores cost (bench/bench_attention; BENCHMARKS.md, "The transformer", stop 14).
template <typename F>
bool attention_keeps_probs(int hs);
inline std::ptrdiff_t attention_prob_row(int i) {
  const std::ptrdiff_t g = i / 16;  // rows 16g .. 16g + 15 hold 16(g + 1) values each
  return 128 * g * (g + 1) + (i % 16) * 16 * (g + 1);
}
inline std::ptrdiff_t attention_probs_per_head(int T) { return attention_prob_row((T + 15) / 16 * 16); }

// One query against the first n cached keys and values (the training kernels' incremental
// decoding; the coding path's KV cache uses kernels/exact.hpp's attention_row instead):
// out[h·hs..] = softmax(q_h · K_hᵀ/√hs) · V_h over the n positions. Head h's key for position
// j is at keys + h·head_stride + j·ldk (hs contiguous values), likewise for values: the KV
// cache keeps each head's rows contiguous (head_stride = T_max·hs, ldk = hs) so one head's
// sweep reads one contiguous block; a qkv buffer is (head_stride = hs, ldk = 3C).
template <typename F>
void attention_decode(F* out,           // (C)
                      const F* q,       // (C)
                      const F* keys,    // (H, n, hs) strided as above
                      const F* values,  // (H, n, hs) strided as above
                      std::ptrdiff_t ldk, std::ptrdiff_t head_stride, int n, int C, int H);

// Softmax and cross-entropy: probs = softmax(logits) per row (probs may alias logits),
// losses[i] = −ln probs[i, targets[i]]. Returns the mean loss (summed in double).
template <typename F>
double crossentropy_forward(F* probs,          // (N,V)
                            F* losses,         // (N)
                            const F* logits,   // (N,V)
                            const std::uint8_t* targets,  // (N)
                            std::ptrdiff_t N, int V);
// dlogits = (probs − onehot(target)) · dloss (the gradient of dloss · Σ losses);
// dlogits may alias probs. For the mean loss, dloss = 1/N.
template <typename F>
void crossentropy_backward(F* dlogits,      // (N,V)
                           const F* probs,  // (N,V)
                           const std::uint8_t* targets,  // (N)
                           F dloss, std::ptrdiff_t N, int V);

// Rows of log-softmax: out[v] = logits[v] − log Σ exp(logits), in double, through libm (tests
// and tools; the coding path's predictor uses its own, libm-free one: predictor.cpp).
template <typename F>
void log_softmax(double* out,      // (V)
                 const F* logits,  // (V)
                 int V);

}  // namespace zgen::transformer
