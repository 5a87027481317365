#pragma once
// The library's own pieces shared by the whole-buffer coders (arithmetic_compressor.cpp) and the
// stream coders (stream_coding.cpp): one frame through the coder, the models a file names, and
// a buffered reader over a ByteSource.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "src/models/predictor_batch.hpp"
#include "zgen/coding.hpp"

namespace zgen {

// The hash a file of `version` stores for this predictor.
std::uint64_t stored_hash_of(const Predictor& predictor, std::uint8_t version);

// One coded stream of `data` (replacing `stream`'s contents); returns its ideal bits. `reset`:
// the predictor starts from an empty context; otherwise it goes on from what it saw. `fast`:
// with reset, a model that can (BatchablePredictor::forced_log_probs) gives the distributions of
// the known bytes a window at a time instead of byte by byte (the same stream).
double encode_frame(Predictor& predictor, CodingMode coding, ByteView data, bool reset, Bytes& stream, bool fast = true);
// Decodes n bytes of one stream into `out` (replacing its contents); UserError when the stream is
// not one that encode_frame wrote for n bytes (a stream can also decode to wrong bytes: the
// frame's CRC catches those).
void decode_frame(Predictor& predictor, CodingMode coding, ByteView stream, std::uint64_t n, bool reset, Bytes& out);

// Chunks decoded in lockstep on the lanes of a PredictorBatch (src/models/predictor_batch.hpp):
// the same bytes, bit for bit, as decode_frame of each chunk from reset({}), in fewer passes over
// the model's weights.
//
// Whether the predictor codes whole bytes and can batch itself (otherwise: chunk by chunk).
bool can_batch(const Predictor& predictor, CodingMode coding);
// A batch of `lanes` lanes of the predictor where can_batch; nullptr otherwise.
std::unique_ptr<PredictorBatch> make_batch_of(const Predictor& predictor, CodingMode coding, int lanes);
// The chunks [first, last) of a window that one batch codes.
struct ChunkGroup {
  std::size_t first = 0, last = 0;
};
// count chunks in consecutive groups of at most `lanes`, as evenly as the threads want.
std::vector<ChunkGroup> batch_groups(std::size_t count, std::size_t threads, std::size_t lanes);
// streams[b] decoded to lengths[b] bytes into out[b], as decode_frame(…, reset = true, …); a
// FormatError from stream b is rethrown with where(b) before its text.
void decode_chunks_batched(PredictorBatch& batch, std::span<const ByteView> streams,
                           std::span<const std::uint64_t> lengths, std::span<Bytes> out,
                           const std::function<std::string(std::size_t)>& where);

// The model a header names, found and checked (find_model), and copies-1 more of it.
std::vector<std::unique_ptr<Predictor>> load_models(const ContainerHeader& header, const PredictorFactory& make,
                                                    const DecompressOptions& options, int copies);
// One more copy of a model already found, checked to be the same (UserError otherwise).
std::unique_ptr<Predictor> another_copy(const std::string& spec, std::uint64_t identity, const PredictorFactory& make);

// Reads fields from a ByteSource through a buffer; the end of the input inside a field is a
// FormatError ("zgen file is truncated").
class StreamIn {
 public:
  explicit StreamIn(ByteSource source) : source_(std::move(source)), buffer_(std::size_t{1} << 16) {}
  std::uint8_t u8();
  std::uint32_t u32le();
  std::uint64_t varint();  // minimal LEB128, at most 10 bytes, as ByteReader
  void read(std::uint8_t* out, std::size_t n);
  bool at_end();  // nothing more to read

 private:
  bool fill();
  ByteSource source_;
  Bytes buffer_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
};

// Reads up to buffer.size() bytes, as many as the source has; fewer only at its end.
std::size_t fill_from(const ByteSource& in, std::span<std::uint8_t> buffer);

// "bytes P to P+N−1", how error messages name a frame.
std::string bytes_of(std::uint64_t position, std::uint64_t length);

// Runs work(i, predictor) for i in [0, count) on up to predictors.size() threads (each thread its
// own predictor); the first exception is rethrown after all stop. done(i) after each, one at a time.
template <class Work, class Done>
void in_parallel(std::span<Predictor* const> predictors, std::size_t count, Work&& work, Done&& done) {
  const int threads = static_cast<int>(std::min<std::size_t>(predictors.size(), std::max<std::size_t>(count, 1)));
  std::exception_ptr failure;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (std::size_t i = 0; i < count; ++i) {
    try {
      work(i, *predictors[static_cast<std::size_t>(omp_get_thread_num())]);
#pragma omp critical(zgen_stream_progress)
      done(i);
    } catch (...) {
#pragma omp critical(zgen_stream_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

// Writing version-3 frames (container.hpp has the layout): one frame, the original bytes' length,
// the coded stream and the original's CRC-32; the end mark and trailer after the last frame.
void put_frame(Bytes& out, ByteView original, ByteView stream);
void put_trailer(Bytes& out, std::uint64_t total, std::uint32_t crc);
void put_u32le(Bytes& out, std::uint32_t v);

// A frame of a version-3 file as read: where its original bytes go, its coded stream, its CRC.
struct FrameRecord {
  std::uint64_t position = 0, length = 0;
  Bytes stream;
  std::uint32_t crc = 0;
};

// Reads the frames of a version-3 file, just after its header, with every structural check (a
// frame longer than frame_limit, a short frame that is not the last, a stream longer than its
// length allows, more than max_output bytes, bytes after the trailer): a damaged structure is a
// FormatError before the window that holds it is decoded. The next frame's length is read
// ahead, so that a window that ends the file is seen to be the last one (and held until the
// trailer is checked) even when it fills the window exactly. Every reader of frames uses this one
// (decode_frames, and src/cli/coding_on_processes.cpp under MPI).
class FrameReader {
 public:
  FrameReader(StreamIn& in, std::uint64_t chunk_size, std::uint64_t max_output);
  // Reads the window's next frame into `f`; false when the window is full (`in_window`, the
  // original bytes read in it so far, reached `window`) or the file ended (then end() is true).
  bool next(FrameRecord& f, std::uint64_t in_window, std::uint64_t window);
  bool end() const { return end_; }
  std::uint64_t total() const { return total_; }  // original bytes in the frames read
  std::uint64_t trailer_length() const { return trailer_length_; }
  std::uint32_t trailer_crc() const { return trailer_crc_; }

 private:
  StreamIn& in_;
  std::uint64_t chunk_, max_output_, next_length_, total_ = 0, trailer_length_ = 0;
  std::uint32_t trailer_crc_ = 0;
  bool short_frame_ = false, end_ = false;
};

// After the last window: the trailer's length and CRC against the frames' (`crc`: of every
// decoded byte). FormatError if either differs.
void check_trailer(const FrameReader& reader, std::uint32_t crc);

// Decodes the frames and the trailer of a version-3 file from `in` (just after the header) to
// `out`, a window at a time, each written only after all its frames (and, for the last, the
// trailer) passed their checks. `more` makes one more predictor when a window has more chunks
// than there are predictors (parallel chunk sizes only; nullptr: use `predictors` as given).
// Fills header.original_length and header.crc32.
using MorePredictors = std::function<Predictor*()>;
void decode_frames(ContainerHeader& header, StreamIn& in, std::vector<Predictor*> predictors, int max_threads,
                   const MorePredictors& more, const ByteSink& out, const DecompressOptions& options);

}  // namespace zgen
