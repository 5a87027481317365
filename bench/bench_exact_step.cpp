// A decoding step of the coding path alone, at the 800k model's shape (4 layers, dim 128, 4 heads
// of 32, vocabulary 256): the linear maps of B lanes' rows (exact::linear, one product per map
// for all B rows) and each lane's attention over its own cache of n keys, layer after layer, as
// KVCache::step runs them while decompressing B chunks in lockstep. Each lane's keys and values
// are its own (B · 4 layers · 2 · n · 128 floats), so the step streams the weights and the caches
// from L3 as a decoding thread does. Best of N runs (the least disturbed by other work on a
// shared machine), ns per row (per decoded byte), split into the linear maps alone, attention
// alone, and the whole step; a hash of the outputs shows that the bits are those of any other
// build or ISA (the same hash).
//
// With --shared 1 every lane reads lane 0's cache (a layer's 393 KB at 384 keys stays in the
// core's 1 MB L2 after the first lane): the attention that the same arithmetic would cost if the
// caches' traffic were free, against which the default (each lane its own cache) shows what the
// streaming costs.
//
// With --half 1 the step is the half arithmetic's (transformer codings 2 and 3): the packed
// weights rounded to halves (exact::round_to_half) and the caches stored as halves, read as
// halves where the ISA does (exact::reads_halves: AVX2 with F16C, AVX-512), else the widened
// floats. The kernels are the widest this CPU has unless --isa (or ZGEN_EXACT_ISA) says
// otherwise.
//
//   bench_exact_step [--runs 7] [--steps 400] [--keys 384] [--shared 0|1] [--half 0|1] [--isa avx2|avx512|portable]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "src/transformer/kernels/exact.hpp"

using namespace zgen::transformer;

namespace {

std::uint64_t fnv(std::uint64_t h, const float* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t b;
    std::memcpy(&b, &v[i], 4);
    h = (h ^ b) * 1099511628211ull;
  }
  return h;
}

std::vector<float> random_floats(std::size_t n, std::mt19937_64& rng, float scale) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 7, steps = 400, n = 384, shared = 0, half = 0;
  std::string isa_name;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--runs") runs = std::atoi(argv[i + 1]);
    else if (a == "--steps") steps = std::atoi(argv[i + 1]);
    else if (a == "--keys") n = std::atoi(argv[i + 1]);
    else if (a == "--half") half = std::atoi(argv[i + 1]);
    else if (a == "--shared") shared = std::atoi(argv[i + 1]);
    else if (a == "--isa") isa_name = argv[i + 1];
  }
  if (isa_name == "avx2") exact::set_isa(exact::Isa::avx2);
  else if (isa_name == "avx512") exact::set_isa(exact::Isa::avx512);
  else if (isa_name == "portable") exact::set_isa(exact::Isa::portable);
  const int C = 128, H = 4, hs = C / H, T = 512, L = 4, V = 256, Bmax = 8;
  if (n < 1 || n > T) return std::fprintf(stderr, "bench_exact_step: --keys must be 1..512\n"), 1;
  std::mt19937_64 rng(1);
  struct Layer {
    exact::PackedMatrix qkv, attproj, fc, fcproj;
  };
  std::vector<Layer> layers;
  for (int l = 0; l < L; ++l) {
    const float s = 0.08f;
    Layer layer;
    layer.qkv = exact::pack(random_floats(3 * C * C, rng, s).data(), random_floats(3 * C, rng, s).data(), 3 * C, C);
    layer.attproj = exact::pack(random_floats(C * C, rng, s).data(), random_floats(C, rng, s).data(), C, C);
    layer.fc = exact::pack(random_floats(4 * C * C, rng, s).data(), random_floats(4 * C, rng, s).data(), 4 * C, C);
    layer.fcproj = exact::pack(random_floats(4 * C * C, rng, s).data(), random_floats(C, rng, s).data(), C, 4 * C);
    layers.push_back(std::move(layer));
  }
  exact::PackedMatrix head = exact::pack(random_floats(V * C, rng, 0.08f).data(), nullptr, V, C);
  if (half) {
    for (Layer& layer : layers)
      for (exact::PackedMatrix* m : {&layer.qkv, &layer.attproj, &layer.fc, &layer.fcproj}) exact::round_to_half(*m);
    exact::round_to_half(head);
  }
  const std::size_t cache = static_cast<std::size_t>(H) * T * hs;  // one lane's layer: (H,T,hs)
  std::vector<float> keys = random_floats(cache * L * Bmax, rng, 1.0f);
  std::vector<float> values = random_floats(keys.size(), rng, 1.0f);
  // --half 1 stores the caches as half floats (attention_row_half, the half arithmetic's step),
  // and the float caches as their widened values (what an ISA without attention_row_half reads).
  std::vector<unsigned short> keys16(keys.size()), values16(values.size());
  for (std::size_t i = 0; i < keys.size(); ++i) keys16[i] = exact::to_half(keys[i]), values16[i] = exact::to_half(values[i]);
  const bool half_reads = half && exact::reads_halves(C, H);
  if (half) {  // the half path equals the float path on the widened values, bit for bit
    std::vector<float> kw(cache), vw(cache), q0 = random_floats(C, rng, 2.0f), o1(C), o2(C), sc(exact::attention_rows_scratch(T, H));
    auto widen = [](unsigned short h) {  // exact, by definition
      const int e = (h >> 10) & 31, m = h & 1023;
      const float mag = e == 0 ? std::ldexp(static_cast<float>(m), -24)
                        : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(static_cast<float>(1024 + m), e - 25);
      return (h & 0x8000) ? -mag : mag;
    };
    for (std::size_t i = 0; i < cache; ++i) kw[i] = widen(keys16[i]), vw[i] = widen(values16[i]);
    for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = widen(keys16[i]), values[i] = widen(values16[i]);
    int bad = 0;
    for (int nn : {1, 7, 16, 33, 200, 384, 512}) {
      if (!half_reads) break;
      exact::attention_row(o1.data(), q0.data(), kw.data(), vw.data(), static_cast<std::ptrdiff_t>(T) * hs, nn, C, H, sc.data());
      exact::attention_row_half(o2.data(), q0.data(), keys16.data(), values16.data(), static_cast<std::ptrdiff_t>(T) * hs, nn, C, H, sc.data());
      bad += std::memcmp(o1.data(), o2.data(), C * sizeof(float)) != 0;
    }
    std::printf("half path against the float path on widened values: %s\n",
                half_reads ? (bad ? "DIFFERENT" : "the same bits") : "no half path on this ISA");
    // The vector rounding (vcvtps2ph where the ISA is AVX2 or AVX-512) against the scalar one, on every
    // 2^32 pattern's sample: 4M random bit patterns plus the edges.
    std::vector<float> f(1 << 22);
    std::vector<unsigned short> hv(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) {
      const std::uint32_t b = static_cast<std::uint32_t>(rng()) >> (i % 3 == 0 ? 0 : 0);
      std::memcpy(&f[i], &b, 4);
    }
    const float edges[] = {0.0f, -0.0f, 65504.0f, 65519.99f, 65520.0f, 5.96e-8f, 2.98e-8f, 2.9802322e-8f, 8.9e-8f,
                           6.1035156e-5f, 6.1031e-5f, INFINITY, -INFINITY, NAN, 1e-40f, 1.0009765625f, 1.00048828125f};
    for (std::size_t i = 0; i < sizeof edges / sizeof edges[0]; ++i) f[i] = edges[i];
    for (std::size_t i = 0; i < 100000; ++i) f[100 + i] = std::ldexp(static_cast<float>(i), -24 - static_cast<int>(i % 12));
    exact::to_halves(hv.data(), f.data(), static_cast<std::ptrdiff_t>(f.size()));
    std::size_t diff = 0;
    for (std::size_t i = 0; i < f.size(); ++i) diff += hv[i] != exact::to_half(f[i]);
    std::vector<float> back(f.size());
    exact::from_halves(back.data(), hv.data(), static_cast<std::ptrdiff_t>(f.size()));
    for (std::size_t i = 0; i < f.size(); ++i) {
      const float w = exact::from_half(hv[i]);
      diff += std::memcmp(&w, &back[i], 4) != 0;
    }
    std::printf("vector and scalar half conversions: %zu differences in %zu values\n", diff, f.size());
  }
  const std::vector<float> input = random_floats(static_cast<std::size_t>(Bmax) * C, rng, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(Bmax) * C), qkv(3 * x.size()), atty(x.size()), fch(4 * x.size()),
      logits(static_cast<std::size_t>(Bmax) * V), scores(exact::attention_rows_scratch(T, H));
  const char* isa_names[] = {"portable", "avx2", "avx512"};
  std::printf("%s caches, %s, %s kernels%s\n", shared ? "one shared" : "one per lane",
              half ? "half-float weights and caches" : "floats", isa_names[static_cast<int>(exact::isa())],
              half && !exact::reads_halves(C, H) ? " (attention on the widened floats)" : "");
  std::printf("%-5s %6s %12s %12s %12s %18s\n", "lanes", "keys", "linear ns", "attention ns", "step ns", "hash");
  for (int B : {1, 2, 3, 4, 6, 8}) {
    double best[3] = {1e30, 1e30, 1e30};
    std::uint64_t hash = 1469598103934665603ull;
    for (int part = 0; part < 3; ++part) {  // 0: linear maps alone, 1: attention alone, 2: the step
      const bool lin = part != 1, att = part != 0;
      for (int run = 0; run < runs; ++run) {
        std::copy(input.begin(), input.end(), x.begin());
        const auto t0 = std::chrono::steady_clock::now();
        for (int s = 0; s < steps; ++s) {
          for (int l = 0; l < L; ++l) {
            const Layer& w = layers[static_cast<std::size_t>(l)];
            if (lin) exact::linear(qkv.data(), 3 * C, x.data(), C, w.qkv, B);
            if (att)
              for (int b = 0; b < B; ++b) {
                const std::size_t lane = shared ? 0 : static_cast<std::size_t>(b);
                const std::size_t at = (lane * L + static_cast<std::size_t>(l)) * cache;
                if (half_reads)
                  exact::attention_row_half(atty.data() + b * C, qkv.data() + b * 3 * C, keys16.data() + at,
                                            values16.data() + at, static_cast<std::ptrdiff_t>(T) * hs, n, C, H,
                                            scores.data());
                else
                  exact::attention_row(atty.data() + b * C, qkv.data() + b * 3 * C, keys.data() + at,
                                       values.data() + at, static_cast<std::ptrdiff_t>(T) * hs, n, C, H,
                                       scores.data());
              }
            if (lin) {
              exact::linear(x.data(), C, atty.data(), C, w.attproj, B);
              exact::linear(fch.data(), 4 * C, x.data(), C, w.fc, B);
              exact::gelu(fch.data(), fch.data(), static_cast<std::ptrdiff_t>(B) * 4 * C);
              exact::linear(x.data(), C, fch.data(), 4 * C, w.fcproj, B);
            }
          }
          if (lin) exact::linear(logits.data(), V, x.data(), C, head, B);
          // Keep the residual stream bounded (the real step adds and normalises it).
          for (std::size_t i = 0; i < static_cast<std::size_t>(B) * C; ++i) x[i] = input[i] + 1e-3f * x[i];
        }
        const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best[part] = std::min(best[part], t / (static_cast<double>(steps) * B));
        if (run == 0 && part == 2) hash = fnv(fnv(hash, logits.data(), static_cast<std::size_t>(B) * V), atty.data(),
                                              static_cast<std::size_t>(B) * C);
      }
    }
    std::printf("%5d %6d %12.0f %12.0f %12.0f %18llx\n", B, n, best[0] * 1e9, best[1] * 1e9, best[2] * 1e9,
                static_cast<unsigned long long>(hash));
  }
  return 0;
}
