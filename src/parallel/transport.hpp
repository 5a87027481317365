#pragma once
// The message passing under World (world.hpp): MPI in a build with ZGEN_MPI (transport_mpi.cpp),
// else a world of one process (transport_alone.cpp). Only the main thread calls these.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace zgen::parallel::transport {

// Starts MPI when this process was launched by mpirun or srun (see started_by_launcher); true
// when it did. Otherwise the process runs alone and MPI is never initialised.
bool start(int& argc, char**& argv);
void stop();  // MPI_Finalize, when start() initialised MPI

int rank();
int size();

// Element-wise sum over the processes, added in rank order; the result on every process.
void sum_in_rank_order(float* values, std::size_t n);
void sum_in_rank_order(double* values, std::size_t n);

// `text` from process `root` to every process.
void broadcast(std::string& text, int root);

// `bytes` from process `root` to every process (the others' `bytes` are replaced).
void broadcast(std::vector<std::uint8_t>& bytes, int root);

// Process r gets parts[r] of `root`'s parts (one per process; the others pass none).
std::vector<std::uint8_t> scatter(const std::vector<std::vector<std::uint8_t>>& parts, int root);

// Every process's `mine` to `root`, in rank order (the others get nothing back).
std::vector<std::vector<std::uint8_t>> gather(const std::vector<std::uint8_t>& mine, int root);

// Ends every process of the job with `code` (MPI_Abort); alone, this process.
[[noreturn]] void abort(int code);

}  // namespace zgen::parallel::transport
