// The cost of one training step's gradient sum on this machine: World::sum (src/parallel/) of
// the 800k config's 858,880 float gradients (or argv[1] values) over the processes of
// `mpirun -np N bench/bench_allreduce [values] [rounds]`, the median of `rounds` timed sums
// after 3 untimed ones, with the bytes each process sends and receives (2·(N−1)/N of the
// values: its slices to their owners, then its summed slice to everyone). BENCHMARKS.md turns
// this into step times on N nodes. Run without mpirun it says so and measures nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "src/parallel/world.hpp"

int main(int argc, char** argv) {
  zgen::parallel::Session session(argc, argv);
  zgen::parallel::World& world = zgen::parallel::world();
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 858880;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 50;
  if (world.alone()) {
    std::printf("bench_allreduce: one process: run it as mpirun -np N %s\n", argv[0]);
    return 0;
  }
  std::vector<float> values(n);
  std::vector<double> seconds;
  for (int r = -3; r < rounds; ++r) {
    for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<float>((i + static_cast<std::size_t>(world.rank())) % 97) * 1e-3f;
    const auto t0 = std::chrono::steady_clock::now();
    world.sum(values);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r >= 0) seconds.push_back(s);
  }
  std::sort(seconds.begin(), seconds.end());
  const double median = seconds[seconds.size() / 2];
  const double N = world.size();
  const double moved = 2 * (N - 1) / N * static_cast<double>(n) * sizeof(float);  // sent (and received) per process
  if (world.leader())
    std::printf("sum of %zu floats over %d processes: median %.3f ms (min %.3f) of %d; %.2f MB sent per process, %.2f GB/s\n",
                n, world.size(), median * 1e3, seconds.front() * 1e3, rounds, moved / 1e6, moved / median / 1e9);
  return 0;
}
