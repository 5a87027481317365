// A build without MPI (-DZGEN_MPI=OFF): every run is one process.
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "src/parallel/transport.hpp"
#include "src/parallel/world.hpp"

namespace zgen::parallel {

bool built_with_mpi() { return false; }

namespace transport {

// Launched as one of several processes (mpirun -np N, srun) without MPI to join them: each
// would run the whole command alone, writing the same files; refuse instead.
bool start(int&, char**&) {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* value = std::getenv(name);
    if (value && std::atoi(value) > 1)
      throw std::runtime_error(std::string("this zgen was built without MPI (ZGEN_MPI=OFF) but launched as one of ") +
                               value + " processes: run it alone, or build it with MPI");
  }
  return false;
}
void stop() {}
int rank() { return 0; }
int size() { return 1; }
void sum_in_rank_order(float*, std::size_t) {}
void sum_in_rank_order(double*, std::size_t) {}
void broadcast(std::string&, int) {}
void broadcast(std::vector<std::uint8_t>&, int) {}
std::vector<std::uint8_t> scatter(const std::vector<std::vector<std::uint8_t>>& parts, int) { return parts.at(0); }
std::vector<std::vector<std::uint8_t>> gather(const std::vector<std::uint8_t>& mine, int) { return {mine}; }
void abort(int code) { std::exit(code); }

}  // namespace transport
}  // namespace zgen::parallel
