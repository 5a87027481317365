#pragma once
// The coding path's arithmetic: the transformer's inference (KVCache: the batched prefill and
// the one-byte step) computes through these functions, which give the same bits on every build
// (-march=native or not, gcc or clang, sanitizers or not) and every x86-64 CPU, so that a file
// compressed on one machine decodes on any other. Training keeps its own, faster kernels
// (layers.hpp), whose rounding may differ from one build to the next.
//
// The canonical arithmetic, which the portable implementation (plain C++, std::fma) and the
// AVX2 + FMA one (exact_avx2.cpp, chosen at run time where the CPU has AVX2, FMA and F16C, whatever
// the build's -march) both follow to the bit; a wider implementation (AVX-512) must too:
//   - Linear layers: out[i][o] = bias[o] (or +0), then acc = fma(in[i][k], W[o][k], acc) for
//     k = 0, 1, …, K−1 in order: one chain per output element, one rounding per term. Vectors
//     run across outputs (o) and rows (i), never across k, so every lane count gives the same
//     chain. A one-row product and a batched one give the same row.
//   - exp (float): Cephes' expf as in kernels/attention.cpp, defined operation by operation
//     (exp_canonical in exact.cpp); no libm.
//   - GELU (tanh form): u = s·(x + c·((x·x)·x)), t = 1 − 2/(exp(2u) + 1), y = (0.5·x)·(1 + t).
//   - Attention, one query against n keys of a head of size hs: score_j = the 8-lane dot product
//     (lane l: fma chain over d = l, l+8, … from +0; the lanes added as
//     ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7))); m = max_j score_j · scale; e_j = exp(fma(score_j,
//     scale, −m)); sum = Σ e_j in 8 lanes by j mod 8 (plain adds from +0, same tree);
//     out_d = (even_d + odd_d) · (1/sum), even_d and odd_d the fma chains over even and odd j.
//     The batched prefill runs each of its rows through this same arithmetic (attention_rows:
//     rows side by side share loads, never operations), so a prefill's last row equals the step
//     that would have reached it, bit for bit.
//   - Everything else on the path (LayerNorm, embeddings, the residual adds) is plain IEEE
//     +, −, ×, /, √ in a fixed order, compiled without contraction into FMAs (-ffp-contract=off).
// Multiplications and additions are IEEE-754 single precision, round to nearest: x86-64 has no
// other float arithmetic (SSE, never x87), and std::fma is correctly rounded by definition.
#include <cstddef>
#include <vector>

#include "src/transformer/kernels/cache_line_allocator.hpp"

namespace zgen::transformer::exact {

// W (rows, depth) row-major (nn.Linear's (out, in)) packed for linear(): panels of 16 rows of W,
// each stored depth-major (panel q holds W[16q + c][k] at [q·depth·16 + k·16 + c]), rows past
// `rows` zero; the bias padded to whole panels (zeros when none).
struct PackedMatrix {
  std::vector<float, kernels::CacheLineAllocator<float>> panels;
  std::vector<float, kernels::CacheLineAllocator<float>> bias;  // (panels·16)
  int rows = 0, depth = 0;
  // After round_to_half: the panels again as IEEE half floats (panels[i] == from_half(halves[i])),
  // which the AVX2 and AVX-512 kernels read instead (half the bytes); empty otherwise. The bias
  // stays float.
  std::vector<unsigned short, kernels::CacheLineAllocator<unsigned short>> halves;
};
PackedMatrix pack(const float* weight, const float* bias, int rows, int depth);
// The half arithmetic's weights (Arithmetic::half in kv_cache.hpp): every panel value rounded
// to a half float (to_half) and widened back, exactly, in place; the halves kept beside them.
void round_to_half(PackedMatrix& w);

// out (m, w.rows) with row stride ldo = in (m, w.depth) with row stride ldi · Wᵀ + bias. With
// halves, the AVX2 and AVX-512 kernels widen them (exactly) where the portable code reads the
// widened panels: the same operands, the same chains, the same bits.
void linear(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const PackedMatrix& w, int m);

// out[i] = GELU(in[i]) for i < n (out may be in).
void gelu(float* out, const float* in, std::ptrdiff_t n);

// Multi-head attention of one query: for each head h, out[h·hs..] over the n ≥ 1 keys and values
// of head h at keys + h·head_stride (n rows of hs floats, contiguous) and likewise for values.
// `scores` is scratch for H·n floats.
void attention_row(float* out, const float* q, const float* keys, const float* values, std::ptrdiff_t head_stride,
                   int n, int C, int H, float* scores);

// attention_row for R ≥ 1 consecutive rows of one sequence (a prefill): row i (query q + i·ldq,
// output out + i·ldo) sees the first n0 + i keys; each row's result is attention_row's, bit for
// bit (the rows share loads, never arithmetic). `scores` is scratch for
// attention_rows_scratch(n0 + R, H) floats.
void attention_rows(float* out, std::ptrdiff_t ldo, const float* q, std::ptrdiff_t ldq, const float* keys,
                    const float* values, std::ptrdiff_t head_stride, int n0, int R, int C, int H, float* scores);
std::size_t attention_rows_scratch(int n, int H);  // enough for attention_row too, n keys at most

// IEEE binary16 ("half floats"), the half arithmetic's storage (kv_cache.hpp):
// to_half(x) = the half nearest to x saturated to ±65504, ties to even (subnormal halves
// included: below 2^−14 the step is 2^−24). Saturation, not ∞: x ≥ 65504 (+∞ too) gives 65504,
// x ≤ −65504 gives −65504, and NaN gives +65504 (as min(x, 65504) then max(·, −65504) with
// x86's min/max, which return the second operand when one is NaN), so no value becomes ∞ and
// every ISA agrees. from_half widens exactly. to_halves uses vcvtps2ph on AVX2 (F16C) and
// AVX-512 (the same bits, checked in tests/test_exact_kernels.cpp), to_half in the portable code.
unsigned short to_half(float x);
float from_half(unsigned short h);  // exact
void to_halves(unsigned short* out, const float* in, std::ptrdiff_t n);   // to_half each
void from_halves(float* out, const unsigned short* in, std::ptrdiff_t n);  // from_half each

// attention_row over keys and values stored as halves (the same layout, unsigned shorts):
// attention_row on their widened values, bit for bit; it reads half the bytes. Only where
// reads_halves(C, H): AVX-512 active, hs a multiple of 16 up to 128, H even; or AVX2 active, hs a
// multiple of 8 up to 128. std::logic_error elsewhere.
bool reads_halves(int C, int H);
void attention_row_half(float* out, const float* q, const unsigned short* keys, const unsigned short* values,
                        std::ptrdiff_t head_stride, int n, int C, int H, float* scores);

// The canonical exp, one value (what the kernels compute per lane), for the tests.
float exp_canonical(float x);

// Which implementation runs: the portable one, AVX2 + FMA, or AVX-512F: by default the widest
// the CPU has. All give the same bits; tests switch between them to check it.
enum class Isa { portable, avx2, avx512 };
Isa isa();
bool isa_supported(Isa isa);
void set_isa(Isa isa);  // throws std::invalid_argument when this CPU lacks it

}  // namespace zgen::transformer::exact
