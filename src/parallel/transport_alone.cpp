// A build without MPI (-DZGEN_MPI=OFF): every run is one process.
#include <cstdlib>

#include "src/parallel/transport.hpp"
#include "src/parallel/world.hpp"

namespace zgen::parallel {

bool built_with_mpi() { return false; }

namespace transport {

bool start(int&, char**&) { return false; }
void stop() {}
int rank() { return 0; }
int size() { return 1; }
void sum_in_rank_order(float*, std::size_t) {}
void sum_in_rank_order(double*, std::size_t) {}
void broadcast(std::string&, int) {}
void abort(int code) { std::exit(code); }

}  // namespace transport
}  // namespace zgen::parallel
