// MPI under World (ZGEN_MPI builds). MPI is started only when a launcher started this process,
// with MPI_THREAD_FUNNELED: OpenMP teams and worker threads compute, the main thread alone talks.
#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <stdexcept>
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
  check(MPI_Alltoallv(values, counts.data(), offsets.data(), type, copies.data(), copy_counts.data(),
                      copy_offsets.data(), type, MPI_COMM_WORLD),
        "MPI_Alltoallv");
  // ((c0 + c1) + c2) + ...: each element's sum is a left fold in rank order.
  T* slice = values + offsets[static_cast<std::size_t>(me)];
  const auto m = static_cast<std::size_t>(mine);
  for (std::size_t i = 0; i < m; ++i) slice[i] = copies[i];
  for (int j = 1; j < N; ++j) {
    const T* c = copies.data() + static_cast<std::size_t>(j) * m;
    for (std::size_t i = 0; i < m; ++i) slice[i] += c[i];
  }
  check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values, counts.data(), offsets.data(), type, MPI_COMM_WORLD),
        "MPI_Allgatherv");
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
  check(MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD), "MPI_Bcast");
  text.resize(static_cast<std::size_t>(length));
  if (length > 0) check(MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, root, MPI_COMM_WORLD), "MPI_Bcast");
}

void abort(int code) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);  // MPI_Abort does not return; this is for the compiler
}

}  // namespace transport
}  // namespace zgen::parallel
