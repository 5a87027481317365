#pragma once
// `mpirun -np N zgen compress | decompress`: the chunks of a version-3 .zgen file (chunk sizes
// 1..1 MiB, each chunk coded on its own) spread over the processes, the file and the output the
// same bytes as one process writes.
//
// Process 0 alone reads the input, a window at a time (so stdin works and memory stays bounded by
// the models, the threads and the window), hands each process a contiguous run of the window's
// chunks (MPI messages), gathers what they coded in rank order and writes it: the frames in
// chunk order are the single process's, whatever the number of processes or threads. Every step
// ends with the processes agreeing on whether it failed anywhere (on_every_process), so a bad
// input or a damaged chunk on one process stops all of them with one `zgen: ...` line, exit code
// 2, and nothing written (a file) or only windows whose every chunk was checked (stdout).
#include <cstdint>
#include <span>
#include <string>

#include "src/parallel/world.hpp"
#include "zgen/coding.hpp"

namespace zgen::cli {

// On every process, with stream_chunks_in_parallel(options.chunk_size): `predictors` are this
// process's copies of the model (one per thread); `in` and `out` are used on process 0 only.
// The summary is complete on process 0.
StreamCompressSummary compress_on_processes(parallel::World& world, std::span<Predictor* const> predictors,
                                            const std::string& spec, const ByteSource& in, const ByteSink& out,
                                            const StreamCompressOptions& options);

// What the CLI's decompress needs besides the DecompressOptions: the input (process 0 reads
// it), the output (process 0 writes it), and how to say what was written when a failure stops
// the command.
struct DecompressOnProcesses {
  ByteSource in;                           // process 0 only
  ByteSink out;                            // process 0 only
  std::function<void()> commit;            // process 0 only: after the last check
  std::function<std::uint64_t()> written;  // process 0 only: bytes handed to `out` so far
  std::string output;                      // "-" for stdout, else the file's name (for the messages)
};

// On every process. Version-3 files with chunks of 1..1 MiB are decoded by all processes;
// any other file (older versions, one history, a header that does not read) by process 0 alone,
// as decompress_stream does it, while the others wait to hear how it ended.
void decompress_on_processes(parallel::World& world, const DecompressOnProcesses& io, const PredictorFactory& make,
                             const DecompressOptions& options);

}  // namespace zgen::cli
