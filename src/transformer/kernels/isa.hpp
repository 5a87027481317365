#pragma once
// Which instruction set the training and scoring kernels (gemm.hpp, attention.hpp) run on,
// chosen once per process at run time, so that one binary (native or portable build) uses
// AVX-512 where the CPU has it, AVX2 + FMA where it has that, and Eigen's products elsewhere.
//
// Nothing here feeds the arithmetic coder: the coder's arithmetic is exact.hpp's, canonical on
// every build and CPU. The choice changes the bits of training and of scoring (float rounding)
// but not what a compressed file decodes to. The AVX2 and AVX-512 GEMMs sum each element in the
// same order, so they give the same bits; the attention kernels differ between them in rounding
// only.
//
// ZGEN_KERNELS=portable|avx2|avx512 in the environment caps the choice (tests and benchmarks
// compare the paths with it): the best the CPU has, up to the one named.
namespace zgen::transformer::kernels {

enum class Isa { portable, avx2, avx512 };

const char* isa_name(Isa isa);
// Whether this CPU runs the kernels for `isa`: AVX2 needs AVX2, FMA and F16C; AVX-512 needs
// AVX-512 F, BW, DQ and VL as well. Portable: always.
bool isa_supported(Isa isa);
// The kernels in use: ZGEN_KERNELS's cap or the best supported, until select_isa changes it.
Isa active_isa();
// Runs the kernels for `isa` from now on (tests, benchmarks); false, and no change, where the
// CPU lacks it. Not while another thread runs a kernel.
bool select_isa(Isa isa);

// Whether the kernels run at all (the caller otherwise uses Eigen).
inline bool available() { return active_isa() != Isa::portable; }

}  // namespace zgen::transformer::kernels
