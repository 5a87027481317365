#pragma once
// One transformer block (GPT-2's pre-LN layout, include/zgen/transformer.hpp) over N rows:
//   residual2 = residual  + attn_proj(attention(qkv(LN1(residual))))
//   residual3 = residual2 + fc_proj(GELU(fc(LN2(residual2))))
// The one sequence of layer calls that the batched forward (model.cpp: N = B·T rows, every
// activation kept for the backward) and the KV-cache step (kv_cache.cpp: one row, buffers
// reused) both run, so the two cannot drift apart. They differ in attention only, which the
// caller passes in: causal attention over the batch, or one query against the cache (whose
// kernel rounds differently: a step's logits equal the batched row up to that rounding).
// (The backward walks the same tensors in reverse with other functions; it stays in model.cpp.)
#include <cstddef>

#include "src/transformer/layers.hpp"
#include "src/transformer/model.hpp"

namespace zgen::transformer {

// Layer `layer`'s tensors inside the parameter buffer.
template <typename F>
struct BlockWeights {
  const F *ln1w, *ln1b, *qkvw, *qkvb, *attprojw, *attprojb, *ln2w, *ln2b, *fcw, *fcb, *fcprojw, *fcprojb;

  BlockWeights(const ParameterTensors<F>& w, int layer, int C) {
    const std::ptrdiff_t lC = static_cast<std::ptrdiff_t>(layer) * C;
    ln1w = w.ln1w + lC;                 // (C)
    ln1b = w.ln1b + lC;                 // (C)
    qkvw = w.qkvw + lC * 3 * C;         // (3C,C)
    qkvb = w.qkvb + 3 * lC;             // (3C)
    attprojw = w.attprojw + lC * C;     // (C,C)
    attprojb = w.attprojb + lC;         // (C)
    ln2w = w.ln2w + lC;                 // (C)
    ln2b = w.ln2b + lC;                 // (C)
    fcw = w.fcw + lC * 4 * C;           // (4C,C)
    fcb = w.fcb + 4 * lC;               // (4C)
    fcprojw = w.fcprojw + lC * 4 * C;   // (C,4C)
    fcprojb = w.fcprojb + lC;           // (C)
  }
};

// Where a block reads and writes. ln2 and its statistics may be ln1's buffers (the step reuses
// them); residual3 may be `residual` itself, which is last read before residual3 is written.
template <typename F>
struct BlockBuffers {
  const F* residual;  // (N,C)   in: the residual stream entering the block
  F* ln1;             // (N,C)
  F* ln1_mean;        // (N)
  F* ln1_rstd;        // (N)
  F* qkv;             // (N,3C)
  F* atty;            // (N,C)   attention's output before its projection
  F* residual2;       // (N,C)   the residual after the attention branch
  F* ln2;             // (N,C)
  F* ln2_mean;        // (N)
  F* ln2_rstd;        // (N)
  F* fch;             // (N,4C)  the MLP's hidden layer before GELU
  F* fch_gelu;        // (N,4C)
  F* residual3;       // (N,C)   out: the residual after the MLP branch
};

// x[i] += r[i]: a branch's output joins the residual stream. Each element on its own, so the
// bits do not depend on the split; threads only for large blocks (a one-row step starts none).
template <typename F>
inline void add_residual(F* x, const F* r, std::ptrdiff_t n) {
  if (n > (std::ptrdiff_t{1} << 18)) {
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < n; ++i) x[i] += r[i];
  } else {
    for (std::ptrdiff_t i = 0; i < n; ++i) x[i] += r[i];
  }
}

// attend(atty, qkv) writes the (N,C) attention output from the (N,3C) q, k and v rows.
template <typename F, typename Attend>
void block_forward(const BlockWeights<F>& w, const BlockBuffers<F>& b, std::ptrdiff_t N, int C, Attend&& attend) {
  layernorm_forward(b.ln1, b.ln1_mean, b.ln1_rstd, b.residual, w.ln1w, w.ln1b, N, C);
  matmul_forward(b.qkv, b.ln1, w.qkvw, w.qkvb, N, C, 3 * C);
  attend(b.atty, static_cast<const F*>(b.qkv));
  matmul_forward(b.residual2, b.atty, w.attprojw, w.attprojb, N, C, C);
  add_residual(b.residual2, b.residual, N * C);
  layernorm_forward(b.ln2, b.ln2_mean, b.ln2_rstd, b.residual2, w.ln2w, w.ln2b, N, C);
  matmul_forward(b.fch, b.ln2, w.fcw, w.fcb, N, C, 4 * C);
  gelu_forward(b.fch_gelu, b.fch, N * 4 * C);
  matmul_forward(b.residual3, b.fch_gelu, w.fcprojw, w.fcprojb, N, 4 * C, C);
  add_residual(b.residual3, b.residual2, N * C);
}

}  // namespace zgen::transformer
