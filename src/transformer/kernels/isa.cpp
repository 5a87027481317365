// The run-time choice of the training and scoring kernels (isa.hpp).
#include "src/transformer/kernels/isa.hpp"

#include <atomic>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "src/transformer/kernels/simd_table.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace zgen::transformer::kernels {

namespace {

#if defined(__x86_64__)
// F16C (CPUID leaf 1, ECX): clang 14's __builtin_cpu_supports does not know the name.
bool cpu_has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}
#endif

bool cpu_has(Isa isa) {
#if defined(__x86_64__)
  switch (isa) {
    case Isa::portable: return true;
    case Isa::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
    case Isa::avx512:
      return cpu_has(Isa::avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  }
  return false;
#else
  return isa == Isa::portable;
#endif
}

// The best the CPU has, capped by ZGEN_KERNELS when it names an instruction set (anything else
// there is reported once and ignored: the kernels' choice is a speed, never a result, matter).
Isa default_isa() {
  Isa cap = Isa::avx512;
  if (const char* forced = std::getenv("ZGEN_KERNELS"); forced && *forced) {
    if (std::strcmp(forced, "portable") == 0) cap = Isa::portable;
    else if (std::strcmp(forced, "avx2") == 0) cap = Isa::avx2;
    else if (std::strcmp(forced, "avx512") != 0)
      std::fprintf(stderr, "zgen: ZGEN_KERNELS=%s is none of portable, avx2, avx512; ignored\n", forced);
  }
  for (Isa isa = cap; isa != Isa::portable; isa = static_cast<Isa>(static_cast<int>(isa) - 1))
    if (cpu_has(isa)) return isa;
  return Isa::portable;
}

std::atomic<Isa>& current() {
  static std::atomic<Isa> isa{default_isa()};
  return isa;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::portable: return "portable";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "?";
}

bool isa_supported(Isa isa) { return cpu_has(isa); }

Isa active_isa() { return current().load(std::memory_order_relaxed); }

bool select_isa(Isa isa) {
  if (!cpu_has(isa)) return false;
  current().store(isa);
  return true;
}

namespace detail {

#if defined(__x86_64__)
namespace {

const SimdKernels kAvx2Kernels = {avx2::gemm,           avx2::transpose_panel,    avx2::strip_panel,
                                  avx2::gemm_abt,       avx2::gemm_ab,            avx2::exp_scaled_sum,
                                  avx2::store_half,     avx2::load_half,          avx2::finish_half_stores,
                                  avx2::prefetch_half,  avx2::decode_scores,      avx2::decode_weighted_sum};
// AVX-512's own GEMM, attention products and exponentials; AVX2's panels (the same layouts),
// half-precision stores and decoding products.
const SimdKernels kAvx512Kernels = {avx512::gemm,         avx2::transpose_panel,   avx2::strip_panel,
                                    avx512::gemm_abt,     avx512::gemm_ab,         avx512::exp_scaled_sum,
                                    avx2::store_half,     avx2::load_half,         avx2::finish_half_stores,
                                    avx2::prefetch_half,  avx2::decode_scores,     avx2::decode_weighted_sum};

}  // namespace
#endif

const SimdKernels& active_kernels() {
  assert(available());
#if defined(__x86_64__)
  if (active_isa() == Isa::avx512) return kAvx512Kernels;
  return kAvx2Kernels;
#else
  std::abort();  // available() is false: no caller gets here
#endif
}

}  // namespace detail

}  // namespace zgen::transformer::kernels
