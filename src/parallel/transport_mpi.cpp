// MPI under World (ZGEN_MPI builds). MPI is started only when a launcher started this process,
// with MPI_THREAD_FUNNELED: OpenMP teams and worker threads compute, the main thread alone talks.
#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include "src/parallel/transport.hpp"
#include "src/parallel/world.hpp"

namespace zgen::parallel {

bool built_with_mpi() { return true; }

namespace transport {
namespace {

// What mpirun (Open MPI: OMPI_COMM_WORLD_SIZE; PMIx: PMIX_RANK), MPICH's hydra and Slurm's srun
// with its PMI plugins (PMI_RANK, PMI_SIZE) put in a launched process's environment.
bool started_by_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name)) return true;
  return false;
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

// Runs a non-blocking collective to its end without holding a core: MPI's blocking calls poll
// for as long as they wait, and a process that waits for a slower one (its share of the chunks
// done first, or process 0 writing) would burn a core the others need on a shared machine. It
// polls for the first 2 ms, so that quick exchanges stay quick, then every 50 µs.
template <class Start>
void collective(const char* what, Start&& start) {
  MPI_Request request;
  check(start(&request), what);
  const auto begun = std::chrono::steady_clock::now();
  for (int done = 0;;) {
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done) return;
    if (std::chrono::steady_clock::now() - begun > std::chrono::milliseconds(2))
      std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

template <typename T>
void sum_slices(T* values, std::size_t n, MPI_Datatype type) {
  const int N = size(), me = rank();
  if (n > static_cast<std::size_t>(INT_MAX)) throw std::logic_error("sum_in_rank_order: too many values for MPI's int counts");
  // Process k owns [k·n/N, (k+1)·n/N).
  std::vector<int> counts(static_cast<std::size_t>(N)), offsets(static_cast<std::size_t>(N));
  for (int k = 0; k < N; ++k) {
    const std::size_t lo = n * static_cast<std::size_t>(k) / static_cast<std::size_t>(N);
    const std::size_t hi = n * static_cast<std::size_t>(k + 1) / static_cast<std::size_t>(N);
    offsets[static_cast<std::size_t>(k)] = static_cast<int>(lo);
    counts[static_cast<std::size_t>(k)] = static_cast<int>(hi - lo);
  }
  const int mine = counts[static_cast<std::size_t>(me)];
  // Every process's copy of my slice, process j's at j·mine.
  std::vector<T> copies(static_cast<std::size_t>(mine) * static_cast<std::size_t>(N));
  std::vector<int> copy_counts(static_cast<std::size_t>(N), mine), copy_offsets(static_cast<std::size_t>(N));
  for (int j = 0; j < N; ++j) copy_offsets[static_cast<std::size_t>(j)] = j * mine;
  collective("MPI_Ialltoallv", [&](MPI_Request* r) {
    return MPI_Ialltoallv(values, counts.data(), offsets.data(), type, copies.data(), copy_counts.data(),
                          copy_offsets.data(), type, MPI_COMM_WORLD, r);
  });
  // ((c0 + c1) + c2) + ...: each element's sum is a left fold in rank order.
  T* slice = values + offsets[static_cast<std::size_t>(me)];
  const auto m = static_cast<std::size_t>(mine);
  for (std::size_t i = 0; i < m; ++i) slice[i] = copies[i];
  for (int j = 1; j < N; ++j) {
    const T* c = copies.data() + static_cast<std::size_t>(j) * m;
    for (std::size_t i = 0; i < m; ++i) slice[i] += c[i];
  }
  collective("MPI_Iallgatherv", [&](MPI_Request* r) {
    return MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values, counts.data(), offsets.data(), type,
        MPI_COMM_WORLD, r);
  });
}

}  // namespace

bool start(int& argc, char**& argv) {
  if (!started_by_launcher()) return false;
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw std::runtime_error("cannot start MPI: MPI_Init_thread failed");
  return true;
}

void stop() { MPI_Finalize(); }

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

void sum_in_rank_order(float* values, std::size_t n) { sum_slices(values, n, MPI_FLOAT); }
void sum_in_rank_order(double* values, std::size_t n) { sum_slices(values, n, MPI_DOUBLE); }

void broadcast(std::string& text, int root) {
  unsigned long long length = text.size();
  collective("MPI_Ibcast", [&](MPI_Request* r) {
    return MPI_Ibcast(&length, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD, r);
  });
  text.resize(static_cast<std::size_t>(length));
  if (length > 0) collective("MPI_Ibcast", [&](MPI_Request* r) {
    return MPI_Ibcast(text.data(), static_cast<int>(length), MPI_CHAR, root, MPI_COMM_WORLD, r);
  });
}

void broadcast(std::vector<std::uint8_t>& bytes, int root) {
  unsigned long long length = bytes.size();
  collective("MPI_Ibcast", [&](MPI_Request* r) {
    return MPI_Ibcast(&length, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD, r);
  });
  if (length > static_cast<unsigned long long>(INT_MAX)) throw std::logic_error("broadcast: more than 2 GiB");
  bytes.resize(static_cast<std::size_t>(length));
  if (length > 0) collective("MPI_Ibcast", [&](MPI_Request* r) {
    return MPI_Ibcast(bytes.data(), static_cast<int>(length), MPI_BYTE, root, MPI_COMM_WORLD, r);
  });
}

namespace {

// The counts and offsets of `parts` laid end to end, for MPI's int-counted v-collectives.
std::vector<std::uint8_t> lay_out(const std::vector<std::vector<std::uint8_t>>& parts, std::vector<int>& counts,
                                  std::vector<int>& offsets) {
  std::size_t total = 0;
  for (const auto& p : parts) total += p.size();
  if (total > static_cast<std::size_t>(INT_MAX)) throw std::logic_error("scatter/gather: more than 2 GiB at once");
  std::vector<std::uint8_t> all;
  all.reserve(total);
  counts.clear();
  offsets.clear();
  for (const auto& p : parts) {
    offsets.push_back(static_cast<int>(all.size()));
    counts.push_back(static_cast<int>(p.size()));
    all.insert(all.end(), p.begin(), p.end());
  }
  return all;
}

}  // namespace

std::vector<std::uint8_t> scatter(const std::vector<std::vector<std::uint8_t>>& parts, int root) {
  const int me = rank(), N = size();
  std::vector<int> counts, offsets;
  std::vector<std::uint8_t> all;
  if (me == root) {
    if (parts.size() != static_cast<std::size_t>(N)) throw std::logic_error("scatter: one part per process");
    all = lay_out(parts, counts, offsets);
  }
  int mine = 0;
  collective("MPI_Iscatter", [&](MPI_Request* r) {
    return MPI_Iscatter(counts.data(), 1, MPI_INT, &mine, 1, MPI_INT, root, MPI_COMM_WORLD, r);
  });
  std::vector<std::uint8_t> out(static_cast<std::size_t>(mine));
  collective("MPI_Iscatterv", [&](MPI_Request* r) {
    return MPI_Iscatterv(all.data(), counts.data(), offsets.data(), MPI_BYTE, out.data(), mine, MPI_BYTE, root,
        MPI_COMM_WORLD, r);
  });
  return out;
}

std::vector<std::vector<std::uint8_t>> gather(const std::vector<std::uint8_t>& mine, int root) {
  const int me = rank(), N = size();
  if (mine.size() > static_cast<std::size_t>(INT_MAX)) throw std::logic_error("gather: more than 2 GiB");
  const int count = static_cast<int>(mine.size());
  std::vector<int> counts(me == root ? static_cast<std::size_t>(N) : 0);
  collective("MPI_Igather", [&](MPI_Request* r) {
    return MPI_Igather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, root, MPI_COMM_WORLD, r);
  });
  std::vector<int> offsets(counts.size());
  std::size_t total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    if (total > static_cast<std::size_t>(INT_MAX)) throw std::logic_error("gather: more than 2 GiB at once");
    offsets[r] = static_cast<int>(total);
    total += static_cast<std::size_t>(counts[r]);
  }
  if (total > static_cast<std::size_t>(INT_MAX)) throw std::logic_error("gather: more than 2 GiB at once");
  std::vector<std::uint8_t> all(total);
  collective("MPI_Igatherv", [&](MPI_Request* r) {
    return MPI_Igatherv(mine.data(), count, MPI_BYTE, all.data(), counts.data(), offsets.data(), MPI_BYTE, root,
        MPI_COMM_WORLD, r);
  });
  std::vector<std::vector<std::uint8_t>> parts;
  for (std::size_t r = 0; r < counts.size(); ++r)
    parts.emplace_back(all.begin() + offsets[r], all.begin() + offsets[r] + counts[r]);
  return parts;
}

void abort(int code) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);  // MPI_Abort does not return; this is for the compiler
}

}  // namespace transport
}  // namespace zgen::parallel
