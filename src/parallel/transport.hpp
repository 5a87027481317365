#pragma once
// The message passing under World (world.hpp): MPI in a build with ZGEN_MPI (transport_mpi.cpp),
// else a world of one process (transport_alone.cpp). Only the main thread calls these.
#include <cstddef>
#include <string>

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

// Ends every process of the job with `code` (MPI_Abort); alone, this process.
[[noreturn]] void abort(int code);

}  // namespace zgen::parallel::transport
