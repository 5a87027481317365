#pragma once
// The OpenMP team size for one call, as the CLI's --threads sets it (use_threads in
// src/cli/cli_common.cpp): a model's own parallel work, a transformer's matrix products, stays
// within the threads the caller asked for instead of every core. OpenMP keeps it per calling
// thread; the previous value comes back when the call ends.
#include <omp.h>

#include <algorithm>

namespace zgen::python {

class ThreadScope {
 public:
  explicit ThreadScope(int threads) : before_(omp_get_max_threads()) { omp_set_num_threads(std::max(1, threads)); }
  ~ThreadScope() { omp_set_num_threads(before_); }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int before_;
};

}  // namespace zgen::python
