// The coding path's attention (exact::attention_row) alone, at the 800k model's shape (dim 128,
// 4 heads of 32, a 512-position window), under each implementation this CPU has, in the same
// run: the portable one is the reference, AVX2 the baseline the AVX-512 code is compared with.
// Two cases: "warm", one cache (a lane's layer: 512 KB of keys and values, in L2) queried again
// and again, as the window passes of compress do; "cold", queries that cycle through 16 caches
// (8 MB, past L2), as a decompressing thread's lanes and layers do. Best of N runs (the least
// disturbed by other work on a shared machine), ns per row (all heads); a hash of the outputs
// shows that every implementation gave the same bits. Then "rows4": a prefill's rows four at a
// time (attention_rows), keys warm, ns per row.
//
//   bench_exact_attention [--runs 7] [--rows 2000]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "src/transformer/kernels/exact.hpp"

using namespace zgen::transformer;

namespace {

std::uint64_t fnv(const std::vector<float>& v) {
  std::uint64_t h = 1469598103934665603ull;
  for (float x : v) {
    std::uint32_t b;
    std::memcpy(&b, &x, 4);
    h = (h ^ b) * 1099511628211ull;
  }
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 7, rows = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--runs") runs = std::atoi(argv[i + 1]);
    else if (a == "--rows") rows = std::atoi(argv[i + 1]);
  }
  const int C = 128, H = 4, hs = C / H, T = 512, caches = 16;
  const std::size_t cache_floats = static_cast<std::size_t>(H) * T * hs;
  std::mt19937_64 rng(1);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> keys(cache_floats * caches), values(keys.size()), q(static_cast<std::size_t>(C) * 64);
  for (auto& x : keys) x = d(rng);
  for (auto& x : values) x = d(rng);
  for (auto& x : q) x = 2.0f * d(rng);
  std::vector<float> out(static_cast<std::size_t>(C)), scores(static_cast<std::size_t>(H) * T), sink(C);
  std::printf("%-6s %-9s %5s %12s %18s\n", "case", "isa", "n", "ns/row", "hash");
  for (int cold = 0; cold < 2; ++cold)
    for (int n : {128, 384, 512}) {
      for (exact::Isa isa : {exact::Isa::portable, exact::Isa::avx2, exact::Isa::avx512}) {
        if (!exact::isa_supported(isa)) continue;
        exact::set_isa(isa);
        const int r = isa == exact::Isa::portable ? rows / 10 : rows;
        double best = 1e30;
        std::vector<float> all;
        for (int run = 0; run < runs; ++run) {
          all.clear();
          const auto t0 = std::chrono::steady_clock::now();
          for (int i = 0; i < r; ++i) {
            const std::size_t c = cold ? static_cast<std::size_t>(i % caches) : 0;
            exact::attention_row(out.data(), q.data() + (i % 64) * C, keys.data() + c * cache_floats,
                                 values.data() + c * cache_floats, static_cast<std::ptrdiff_t>(T) * hs, n, C, H,
                                 scores.data());
            if (i < 64) all.insert(all.end(), out.begin(), out.end());
          }
          best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / r);
        }
        const char* name = isa == exact::Isa::portable ? "portable" : isa == exact::Isa::avx2 ? "avx2" : "avx512";
        std::printf("%-6s %-9s %5d %12.0f %18llx\n", cold ? "cold" : "warm", name, n, best * 1e9,
                    static_cast<unsigned long long>(fnv(all)));
      }
    }
  // A prefill's rows four at a time (attention_rows: row i sees n + i keys), warm, per row.
  for (int n : {128, 384, 508}) {
    for (exact::Isa isa : {exact::Isa::avx2, exact::Isa::avx512}) {
      if (!exact::isa_supported(isa)) continue;
      exact::set_isa(isa);
      std::vector<float> out4(static_cast<std::size_t>(4) * C), all;
      std::vector<float> scratch(exact::attention_rows_scratch(n + 4, H));
      double best = 1e30;
      for (int run = 0; run < runs; ++run) {
        all.clear();
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < rows; i += 4) {
          exact::attention_rows(out4.data(), C, q.data() + (i % 64) * C, C, keys.data(), values.data(),
                                static_cast<std::ptrdiff_t>(T) * hs, n, 4, C, H, scratch.data());
          if (i < 64) all.insert(all.end(), out4.begin(), out4.end());
        }
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / rows);
      }
      std::printf("%-6s %-9s %5d %12.0f %18llx\n", "rows4", isa == exact::Isa::avx2 ? "avx2" : "avx512", n, best * 1e9,
                  static_cast<unsigned long long>(fnv(all)));
    }
  }
  return 0;
}
