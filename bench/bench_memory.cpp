// What a random memory access costs on this machine, for reading ppm's speed figures: the
// model reads hashed tables of tens of MB at random (src/models/ppm/slot_table.hpp), so its
// speed depends on the cache sizes, the TLB's reach and the memory latency of the machine
// it runs on, which differ between machines of the same kind (and between a VM and bare
// metal). Three measures, each beside its baseline in the same run:
//   1. latency: one dependent load after another (a pointer chase over a random cycle of
//      cache lines) in regions of 1 to 64 MB, on 4 KB pages and with MADV_HUGEPAGE; the
//      ratio is to the 1 MB region's latency;
//   2. TLB: the same chase over one line per 4 KB page (at most 1 MB of lines, so the data
//      stays in the caches): what a page walk alone costs, as a ratio to the 4 MB region;
//   3. prefetch: steps of 7 random lines (ppm2:6 claims 7 slot lines per nibble) on 4 KB
//      pages, with a fixed count of multiplies between them (one dependency chain, or eight
//      independent ones, the many instructions in flight of ppm's per-bit work), the next
//      step's lines prefetched one step ahead or not; the ratio is with the prefetch to
//      without. Then 7, 14 and 28 lines prefetched for the 7 read: the misses in flight are
//      limited, and wasted prefetches take their place.
//
//   ./build/bench/bench_memory [max_mb]    (default 64)
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <vector>

namespace {

constexpr std::size_t kLine = 64, kPage = 4096, kHuge = std::size_t{2} << 20;

// A zeroed region of `bytes` starting on a 2 MB boundary, with or without huge-page advice.
struct Region {
  std::uint8_t* map = nullptr;
  std::uint8_t* data = nullptr;
  std::size_t mapped = 0;
  Region(std::size_t bytes, bool huge) : mapped(bytes + kHuge) {
    void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      std::perror("mmap");
      std::exit(1);
    }
    map = static_cast<std::uint8_t*>(p);
    data = map + (kHuge - reinterpret_cast<std::uintptr_t>(map) % kHuge) % kHuge;
#if defined(MADV_HUGEPAGE) && defined(MADV_NOHUGEPAGE)
    madvise(data, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);  // advice (Linux): 4 KB pages otherwise
#else
    (void)huge;
#endif
  }
  ~Region() { munmap(map, mapped); }
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;
};

// ns per load of a chase through `offsets` (byte offsets into r, visited in a random cycle).
double chase(const Region& r, std::vector<std::size_t> offsets) {
  std::mt19937_64 rng(1);
  std::shuffle(offsets.begin(), offsets.end(), rng);
  for (std::size_t i = 0; i < offsets.size(); ++i)
    *reinterpret_cast<std::size_t*>(r.data + offsets[i]) = offsets[(i + 1) % offsets.size()];
  const int steps = 2'000'000;
  std::size_t at = offsets[0];
  for (int i = 0; i < steps / 4; ++i) at = *reinterpret_cast<const std::size_t*>(r.data + at);  // warm
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) at = *reinterpret_cast<const std::size_t*>(r.data + at);
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  if (at == 1) std::puts("");  // keeps the chase
  return ns / steps;
}

double latency(std::size_t mb, bool huge) {
  const std::size_t bytes = mb << 20;
  Region r(bytes, huge);
  std::vector<std::size_t> offsets(bytes / kLine);
  for (std::size_t i = 0; i < offsets.size(); ++i) offsets[i] = i * kLine;
  return chase(r, offsets);
}

double tlb(std::size_t mb) {
  const std::size_t bytes = mb << 20;
  Region r(bytes, false);
  std::vector<std::size_t> offsets(bytes / kPage);
  // One line per page, at a varying line within it, so the lines spread over the cache sets.
  for (std::size_t i = 0; i < offsets.size(); ++i) offsets[i] = i * kPage + (i * 7 % (kPage / kLine)) * kLine;
  return chase(r, offsets);
}

// ns per step: 7 random lines read, then `work` dependent multiplies; with `prefetch`, the
// next step's lines are fetched before this step's work. The next step's lines depend on
// this step's data, as a ppm nibble's slots depend on the bits just coded.
double steps_of_seven(std::size_t mb, int work, bool wide, int prefetch) {
  const std::size_t bytes = mb << 20, lines = bytes / kLine;
  Region r(bytes, false);
  for (std::size_t i = 0; i < bytes; i += kLine) r.data[i] = static_cast<std::uint8_t>(i >> 6);
  const auto line = [&](std::uint64_t h, int k) { return r.data + ((h + static_cast<std::uint64_t>(k) * 977) % lines) * kLine; };
  const auto mix = [](std::uint64_t x) {
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ull;
    return x ^ (x >> 27);
  };
  const int n = 300'000;
  std::uint64_t acc = 1, next = mix(12345);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    const std::uint64_t cur = next;
    next = mix(cur + (acc & 1) + static_cast<std::uint64_t>(i));
    for (int k = 0; k < prefetch; ++k) __builtin_prefetch(line(next, k));  // lines 7.. are never read
    if (wide) {
      // The same count of multiplies in 8 independent chains: many instructions in flight,
      // as ppm's per-bit work is, rather than one long dependency.
      std::uint64_t a[8] = {acc, acc + 1, acc + 2, acc + 3, acc + 4, acc + 5, acc + 6, acc + 7};
      for (int k = 0; k < work; k += 8)
        for (int j = 0; j < 8; ++j) a[j] = a[j] * 6364136223846793005ull + static_cast<std::uint64_t>(k);
      acc = a[0] ^ a[1] ^ a[2] ^ a[3] ^ a[4] ^ a[5] ^ a[6] ^ a[7];
    } else {
      for (int k = 0; k < work; ++k) acc = acc * 6364136223846793005ull + static_cast<std::uint64_t>(k);
    }
    for (int k = 0; k < 7; ++k) acc += *line(cur, k);
  }
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  if (acc == 1) std::puts("");
  return ns / n;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t max_mb = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 64;
  if (max_mb < 4) {
    std::fprintf(stderr, "bench_memory: max_mb must be at least 4\n");
    return 2;
  }
  std::printf("dependent load, random lines (ns; ratio to the 1 MB region)\n");
  std::printf("%8s %12s %12s %10s\n", "region", "4 KB pages", "huge advice", "ratio 4K");
  const double base = latency(1, false);
  for (std::size_t mb = 1; mb <= max_mb; mb *= 2) {
    const double small = mb == 1 ? base : latency(mb, false), huge = latency(mb, true);
    std::printf("%6zu MB %12.1f %12.1f %9.2fx\n", mb, small, huge, small / base);
  }
  std::printf("\nTLB: one line per 4 KB page, at most 1 MB of lines (ns; ratio to the 4 MB region)\n");
  const double tlb_base = tlb(4);
  for (std::size_t mb = 4; mb <= max_mb; mb *= 2) {
    const double t = mb == 4 ? tlb_base : tlb(mb);
    std::printf("%6zu MB %12.1f %9.2fx\n", mb, t, t / tlb_base);
  }
  std::printf("\nsteps of 7 random lines in %zu MB (ns per step; prefetched one step ahead / not)\n", max_mb);
  for (bool wide : {false, true})
    for (int work : {0, 64, 256, 1024}) {
      const double without = steps_of_seven(max_mb, work, wide, 0), with = steps_of_seven(max_mb, work, wide, 7);
      std::printf("  %4d multiplies between (%s): %7.1f without, %7.1f with prefetch: %.2fx\n", work,
                  wide ? "8 chains" : "1 chain ", without, with, with / without);
    }
  std::printf("\nthe same steps (8 chains, 256 multiplies), more lines prefetched than read (a ppm that fetches\n"
              "both outcomes of a bit fetches 14 for 7 claims)\n");
  const double none = steps_of_seven(max_mb, 256, true, 0);
  for (int lines : {7, 14, 28}) {
    const double t = steps_of_seven(max_mb, 256, true, lines);
    std::printf("  %2d lines prefetched: %7.1f ns against %7.1f without: %.2fx\n", lines, t, none, t / none);
  }
  return 0;
}
