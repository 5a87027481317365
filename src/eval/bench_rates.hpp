#pragma once
// The measurements behind `zgen bench` (the paper's Table 1): BenchModel, SizeCell,
// measure_chunked, measure_unchunked and select_evenly are public (include/zgen/evaluation.hpp,
// where they are declared and described) so that bindings report them too.
#include <cstddef>
#include <vector>

#include "zgen/evaluation.hpp"

namespace zgen {

// measure_chunked in parts, for work spread over processes (`mpirun -np N zgen bench`): the
// sizes of chunks [first, last), each compressed on its own (actual bytes, and the ideal bytes of
// a coded model, else 0), and the cell they make, summed in chunk order (measure_chunked is
// sum_chunk_sizes of measure_chunk_sizes of all the chunks).
struct ChunkSize {
  double actual = 0, ideal = 0;
};
std::vector<ChunkSize> measure_chunk_sizes(const BenchModel& model, const std::vector<Bytes>& chunks, std::size_t first,
                                           std::size_t last, int threads, const BenchProgress& progress = {});
SizeCell sum_chunk_sizes(const BenchModel& model, const std::vector<Bytes>& chunks, const std::vector<ChunkSize>& sizes);

}  // namespace zgen
