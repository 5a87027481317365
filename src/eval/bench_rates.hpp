#pragma once
// The measurements behind `zgen bench` (the paper's Table 1): how small a model makes each
// modality's chunks, each chunk on its own and all of them at once, and how well it predicts.
//
// A model SPEC is either a compressor SPEC (its own format: the size is compress(data).size())
// or a predictor SPEC, `ppm[:N]` or `transformer:PATH`, whose size is what the arithmetic coder
// actually writes for it (encode_payload: per coded piece a varint length and the coded stream;
// the ideal code length Σ −log2 p is recorded beside it).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"

namespace zgen {

struct BenchModel {
  std::string spec;               // as given
  std::string name;               // canonical, e.g. "gzip:9"
  bool coded = false;             // a predictor driving the arithmetic coder
  std::uint64_t parameters = 0;   // learned parameters (transformers); 0 for the others
};

// Checks the SPEC (UserError when it names no model) and describes it.
BenchModel describe_bench_model(const std::string& spec);

struct SizeCell {
  std::size_t raw_bytes = 0;
  double compressed_bytes = 0;             // the actual output
  std::optional<double> ideal_bytes;       // coded models: Σ −log2 p / 8
  double rate() const { return raw_bytes ? compressed_bytes / static_cast<double>(raw_bytes) : 0; }
  // The paper's adjusted rate: the model's parameters count 2 bytes each (float16).
  double adjusted_rate(std::uint64_t parameters) const {
    return raw_bytes ? (compressed_bytes + 2.0 * static_cast<double>(parameters)) / static_cast<double>(raw_bytes) : 0;
  }
};

// Called with the number of raw bytes just finished (from any thread, serialised by the caller's
// lock inside these functions).
using BenchProgress = std::function<void(std::size_t bytes_done)>;

// Every chunk compressed on its own; sizes summed. `threads` workers each make their own model
// instance; the result does not depend on the thread count.
SizeCell measure_chunked(const BenchModel& model, const std::vector<Bytes>& chunks, int threads,
                         const BenchProgress& progress = {});

// The same in parts, for work spread over processes (`mpirun -np N zgen bench`): the sizes of
// chunks [first, last), each compressed on its own (actual bytes, and the ideal bytes of a
// coded model, else 0), and the cell they make, summed in chunk order (measure_chunked is
// sum_chunk_sizes of measure_chunk_sizes of all the chunks).
struct ChunkSize {
  double actual = 0, ideal = 0;
};
std::vector<ChunkSize> measure_chunk_sizes(const BenchModel& model, const std::vector<Bytes>& chunks, std::size_t first,
                                           std::size_t last, int threads, const BenchProgress& progress = {});
SizeCell sum_chunk_sizes(const BenchModel& model, const std::vector<Bytes>& chunks, const std::vector<ChunkSize>& sizes);

// The chunks concatenated in order and compressed once (one coded piece, the full history).
SizeCell measure_unchunked(const BenchModel& model, const std::vector<Bytes>& chunks, const BenchProgress& progress = {});

// Evenly spaced selection: chunk ⌊i·M / limit⌋ for i < limit, of M chunks (all when limit is 0
// or at least M). Deterministic, keeps the order, and spreads over every file of a modality.
std::vector<Bytes> select_evenly(std::vector<Bytes> chunks, std::size_t limit);

}  // namespace zgen
