// The canonical kernels' portable implementation (the reference: plain C++, one std::fma per
// term), the packing of weights, and the choice of implementation at run time.
#include "src/transformer/kernels/exact.hpp"

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "src/transformer/kernels/exact_impl.hpp"
#include "src/transformer/kernels/isa.hpp"

// Every multiply-add here is an explicit std::fma; no other a·b + c may become one.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace zgen::transformer::exact {

float exp_canonical(float v) {
  v = v < 88.3f ? v : 88.3f;    // as minps(v, 88.3): a NaN becomes 88.3
  v = v > -87.3f ? v : -87.3f;  // as maxps(v, −87.3)
  constexpr float kShifter = 12582912.0f;  // 1.5·2²³: adding it rounds to an integer, ties to even
  const float k = (v * 1.44269504088896341f + kShifter) - kShifter;  // in [−126, 127]
  float r = std::fma(-k, 0.693359375f, v);
  r = std::fma(-k, -2.12194440e-4f, r);
  float p = 1.9875691500e-4f;
  p = std::fma(p, r, 1.3981999507e-3f);
  p = std::fma(p, r, 8.3334519073e-3f);
  p = std::fma(p, r, 4.1665795894e-2f);
  p = std::fma(p, r, 1.6666665459e-1f);
  p = std::fma(p, r, 5.0000001201e-1f);
  const float y = std::fma(p, r * r, r) + 1.0f;
  const auto bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(k) + 127) << 23;
  return y * std::bit_cast<float>(bits);
}

namespace detail {
namespace {

void linear_portable(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const float* panels,
                     const float* bias, int rows, int depth, int m) {
  const int np = (rows + 15) / 16;
  for (int i = 0; i < m; ++i) {
    const float* x = in + i * ldi;
    for (int q = 0; q < np; ++q) {
      const float* p = panels + static_cast<std::ptrdiff_t>(q) * depth * 16;
      float acc[16];
      for (int c = 0; c < 16; ++c) acc[c] = bias[16 * q + c];
      for (int k = 0; k < depth; ++k) {
        const float a = x[k];
        for (int c = 0; c < 16; ++c) acc[c] = std::fma(a, p[k * 16 + c], acc[c]);
      }
      const int cols = rows - 16 * q < 16 ? rows - 16 * q : 16;
      for (int c = 0; c < cols; ++c) out[i * ldo + 16 * q + c] = acc[c];
    }
  }
}

float gelu_one(float x) {
  constexpr float kScale = 0.7978845608028654f;  // √(2/π)
  constexpr float kCubic = 0.044715f;
  const float u = kScale * (x + kCubic * ((x * x) * x));
  const float e = exp_canonical(2.0f * u);
  const float t = 1.0f - 2.0f / (e + 1.0f);  // tanh(u)
  return (0.5f * x) * (1.0f + t);
}

void gelu_portable(float* out, const float* in, std::ptrdiff_t n) {
  for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = gelu_one(in[i]);
}

float lane_tree(const float l[8]) { return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])); }

void attend_head_portable(float* out, const float* q, const float* K, const float* V, int n, int hs, float scale,
                          float* s) {
  for (int j = 0; j < n; ++j) {
    float lanes[8] = {};
    for (int d = 0; d < hs; ++d) lanes[d % 8] = std::fma(q[d], K[static_cast<std::ptrdiff_t>(j) * hs + d], lanes[d % 8]);
    s[j] = lane_tree(lanes);
  }
  float top = s[0];
  for (int j = 1; j < n; ++j) top = s[j] > top ? s[j] : top;
  const float m = top * scale;
  float sums[8] = {};
  for (int j = 0; j < n; ++j) {
    s[j] = exp_canonical(std::fma(s[j], scale, -m));
    sums[j % 8] += s[j];
  }
  const float inv = 1.0f / lane_tree(sums);
  for (int d = 0; d < hs; ++d) {
    float even = 0.0f, odd = 0.0f;
    for (int j = 0; j < n; ++j) {
      float& chain = j % 2 == 0 ? even : odd;
      chain = std::fma(s[j], V[static_cast<std::ptrdiff_t>(j) * hs + d], chain);
    }
    out[d] = (even + odd) * inv;
  }
}

}  // namespace

// attend_row, attend_rows: none (attention_row and attention_rows go head by head, row by row);
// the half arithmetic on the widened floats (no half reads).
const Kernels kPortable = {.linear = linear_portable,
                           .gelu = gelu_portable,
                           .attend_head = attend_head_portable,
                           .attend_row = nullptr,
                           .attend_rows = nullptr,
                           .linear_half = nullptr,
                           .reads_halves = nullptr,
                           .attend_row_half = nullptr,
                           .to_halves = nullptr,
                           .from_halves = nullptr};

}  // namespace detail

namespace {

// AVX2 with FMA and F16C (exact_avx2.cpp widens half floats with vcvtph2ps): what the training
// kernels' AVX2 level needs too (isa.hpp). Every AVX2 CPU has had F16C (Haswell, Zen); one
// without would get the portable code: the same bits.
bool cpu_has_avx2() { return kernels::isa_supported(kernels::Isa::avx2); }

bool cpu_has_avx512() {
#if defined(__x86_64__)
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

const detail::Kernels* table_for(Isa isa) {
#if defined(__x86_64__)
  if (isa == Isa::avx2) return &detail::kAvx2;
  if (isa == Isa::avx512) return &detail::kAvx512;
#endif
  (void)isa;
  return &detail::kPortable;
}

// The default: the widest implementation the CPU has, unless ZGEN_EXACT_ISA (portable or avx2)
// asks for a narrower one (all give the same bits; the tests and the cross-build check use it).
Isa default_isa() {
  const char* forced = std::getenv("ZGEN_EXACT_ISA");
  if (forced && std::strcmp(forced, "portable") == 0) return Isa::portable;
  if (forced && std::strcmp(forced, "avx2") == 0 && cpu_has_avx2()) return Isa::avx2;
  return cpu_has_avx512() ? Isa::avx512 : cpu_has_avx2() ? Isa::avx2 : Isa::portable;
}

std::atomic<Isa>& current() {
  static std::atomic<Isa> isa{default_isa()};
  return isa;
}

const detail::Kernels& active() { return *table_for(current().load(std::memory_order_relaxed)); }

}  // namespace

Isa isa() { return current().load(); }
bool isa_supported(Isa isa) {
  return isa == Isa::portable || (isa == Isa::avx2 && cpu_has_avx2()) || (isa == Isa::avx512 && cpu_has_avx512());
}
void set_isa(Isa isa) {
  if (!isa_supported(isa)) throw std::invalid_argument("exact::set_isa: this CPU lacks that instruction set");
  current().store(isa);
}

PackedMatrix pack(const float* weight, const float* bias, int rows, int depth) {
  PackedMatrix w;
  w.rows = rows;
  w.depth = depth;
  const int np = (rows + 15) / 16;
  w.panels.assign(static_cast<std::size_t>(np) * 16 * depth, 0.0f);
  w.bias.assign(static_cast<std::size_t>(np) * 16, 0.0f);
  for (int o = 0; o < rows; ++o) {
    float* panel = w.panels.data() + static_cast<std::ptrdiff_t>(o / 16) * depth * 16 + o % 16;
    for (int k = 0; k < depth; ++k) panel[k * 16] = weight[static_cast<std::ptrdiff_t>(o) * depth + k];
    if (bias) w.bias[static_cast<std::size_t>(o)] = bias[o];
  }
  return w;
}

void round_to_half(PackedMatrix& w) {
  w.halves.resize(w.panels.size());
  to_halves(w.halves.data(), w.panels.data(), static_cast<std::ptrdiff_t>(w.panels.size()));
  from_halves(w.panels.data(), w.halves.data(), static_cast<std::ptrdiff_t>(w.panels.size()));
}

void linear(float* out, std::ptrdiff_t ldo, const float* in, std::ptrdiff_t ldi, const PackedMatrix& w, int m) {
  const auto& k = active();
  if (!w.halves.empty() && k.linear_half)
    return k.linear_half(out, ldo, in, ldi, w.halves.data(), w.bias.data(), w.rows, w.depth, m);
  k.linear(out, ldo, in, ldi, w.panels.data(), w.bias.data(), w.rows, w.depth, m);
}

void gelu(float* out, const float* in, std::ptrdiff_t n) { active().gelu(out, in, n); }

void attention_row(float* out, const float* q, const float* keys, const float* values, std::ptrdiff_t head_stride,
                   int n, int C, int H, float* scores) {
  const int hs = C / H;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  const auto& k = active();
  if (k.attend_row) return k.attend_row(out, q, keys, values, head_stride, n, hs, H, scale, scores);
  for (int h = 0; h < H; ++h)
    k.attend_head(out + h * hs, q + h * hs, keys + h * head_stride, values + h * head_stride, n, hs, scale, scores);
}

bool reads_halves(int C, int H) {
  const auto& k = active();
  return H > 0 && k.reads_halves && k.reads_halves(C / H, H);
}

void attention_row_half(float* out, const float* q, const unsigned short* keys, const unsigned short* values,
                        std::ptrdiff_t head_stride, int n, int C, int H, float* scores) {
  if (!reads_halves(C, H)) throw std::logic_error("attention_row_half: only where reads_halves(C, H)");
  const int hs = C / H;
  active().attend_row_half(out, q, keys, values, head_stride, n, hs, H, 1.0f / std::sqrt(static_cast<float>(hs)), scores);
}

unsigned short to_half(float x) {
  // Saturate first (exact.hpp): x86's minps/maxps order, so that NaN becomes +65504 here too.
  x = x < detail::kHalfMax ? x : detail::kHalfMax;
  x = x > -detail::kHalfMax ? x : -detail::kHalfMax;
  const std::uint32_t b = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t sign = (b >> 16) & 0x8000u, mag = b & 0x7FFFFFFFu;  // mag ≤ 65504: finite
  if (mag < 0x38800000u) {  // a subnormal half (or zero): round mag·2^24 to an integer, ties to even
    const float f = std::bit_cast<float>(mag) * 16777216.0f;  // exact: a power of two
    const std::uint32_t i = static_cast<std::uint32_t>(f);
    const float frac = f - static_cast<float>(i);
    const std::uint32_t r = i + (frac > 0.5f || (frac == 0.5f && (i & 1u)) ? 1u : 0u);
    return static_cast<unsigned short>(sign | r);
  }
  const std::uint32_t rebias = mag - 0x38000000u;  // exponent − 112
  const std::uint32_t keep = rebias >> 13, rest = rebias & 0x1FFFu;  // ≤ 0x7BFF: 65504 rounds to itself
  const std::uint32_t r = keep + (rest > 0x1000u || (rest == 0x1000u && (keep & 1u)) ? 1u : 0u);
  return static_cast<unsigned short>(sign | r);
}

float from_half(unsigned short h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16, e = (h >> 10) & 31u, m = h & 1023u;
  if (e == 0) {  // zero or subnormal: m·2^−24, exact
    const float mag = static_cast<float>(m) * 5.9604644775390625e-8f;
    return std::bit_cast<float>(std::bit_cast<std::uint32_t>(mag) | sign);
  }
  if (e == 31) return std::bit_cast<float>(sign | 0x7F800000u | (m << 13));  // ∞, NaN: to_half never gives them
  return std::bit_cast<float>(sign | ((e + 112u) << 23) | (m << 13));
}

void to_halves(unsigned short* out, const float* in, std::ptrdiff_t n) {
  if (const auto& k = active(); k.to_halves) return k.to_halves(out, in, n);
  for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = to_half(in[i]);
}

void from_halves(float* out, const unsigned short* in, std::ptrdiff_t n) {
  if (const auto& k = active(); k.from_halves) return k.from_halves(out, in, n);
  for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = from_half(in[i]);
}

namespace detail {
unsigned short to_half(float x) { return exact::to_half(x); }
float from_half(unsigned short h) { return exact::from_half(h); }
}  // namespace detail

std::size_t attention_rows_scratch(int n, int H) {
  // attention_row: H·n; the kernels' groups of up to four rows: 4·(n + 4).
  const std::size_t rows = static_cast<std::size_t>(H > 4 ? H : 4);
  return rows * (static_cast<std::size_t>(n) + 4);
}

void attention_rows(float* out, std::ptrdiff_t ldo, const float* q, std::ptrdiff_t ldq, const float* keys,
                    const float* values, std::ptrdiff_t head_stride, int n0, int R, int C, int H, float* scores) {
  const auto& k = active();
  if (!k.attend_rows) {
    for (int i = 0; i < R; ++i)
      attention_row(out + i * ldo, q + i * ldq, keys, values, head_stride, n0 + i, C, H, scores);
    return;
  }
  const int hs = C / H;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  for (int i = 0; i < R; i += 4) {
    const int r = R - i < 4 ? R - i : 4;
    if (r == 1) {  // a lone row: attend_row, whose heads go two at a time
      attention_row(out + i * ldo, q + i * ldq, keys, values, head_stride, n0 + i, C, H, scores);
      continue;
    }
    k.attend_rows(out + i * ldo, ldo, q + i * ldq, ldq, keys, values, head_stride, n0 + i, r, hs, H, scale, scores);
  }
}

}  // namespace zgen::transformer::exact
