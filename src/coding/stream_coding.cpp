// The stream coders: version-3 .zgen files (src/coding/container.hpp has the layout) written and
// read a window at a time, so that memory is bounded by the models, the threads and the window,
// never by the input.
//
// Window: the input read (or the output held) at a time, window_bytes (default 4 MiB), and at
// least 4 chunks per thread when chunks are coded in parallel so that threads rarely wait for
// each other at a window's end. The file does not depend on the window or the thread count:
// every frame's stream depends only on its bytes and, for frames that continue a chunk, on the
// frames before it in that chunk, which one predictor codes in order.
#include <omp.h>

#include <algorithm>
#include <exception>
#include <istream>
#include <ostream>
#include <stdexcept>

#include "src/coding/container.hpp"
#include "src/coding/stream_coding.hpp"
#include "src/models/model_search.hpp"
#include "zgen/errors.hpp"

namespace zgen {

bool stream_chunks_in_parallel(std::uint64_t chunk_size) {
  return chunk_size != 0 && chunk_size <= kStreamSegmentBytes;
}

ByteSource source_of(ByteView data) {
  return [data, pos = std::size_t{0}](std::span<std::uint8_t> buffer) mutable {
    const std::size_t n = std::min(buffer.size(), data.size() - pos);
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(pos), n, buffer.begin());
    pos += n;
    return n;
  };
}

ByteSource source_of(std::istream& in) {
  return [&in](std::span<std::uint8_t> buffer) -> std::size_t {
    in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
    if (in.bad()) throw UserError("cannot read the input stream");
    return static_cast<std::size_t>(in.gcount());
  };
}

ByteSink sink_of(Bytes& out) {
  return [&out](ByteView bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); };
}

ByteSink sink_of(std::ostream& out) {
  return [&out](ByteView bytes) {
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw UserError("cannot write the output stream");
  };
}

bool StreamIn::fill() {
  if (pos_ < end_) return true;
  if (eof_) return false;
  pos_ = 0;
  end_ = source_(std::span<std::uint8_t>(buffer_));
  if (end_ == 0) eof_ = true;
  return end_ > 0;
}

bool StreamIn::at_end() { return !fill(); }

std::uint8_t StreamIn::u8() {
  if (!fill()) throw FormatError("zgen file is truncated");
  return buffer_[pos_++];
}

std::uint32_t StreamIn::u32le() {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{u8()} << (8 * i);
  return v;
}

std::uint64_t StreamIn::varint() {
  std::uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    const std::uint8_t b = u8();
    if (i == 9 && b > 1) throw FormatError("corrupt zgen file: a number overflows 64 bits");
    v |= std::uint64_t{b & 0x7fu} << (7 * i);
    if (!(b & 0x80)) {
      if (i > 0 && b == 0) throw FormatError("corrupt zgen file: a number is not minimally encoded");
      return v;
    }
  }
  throw FormatError("corrupt zgen file: a number is longer than 10 bytes");
}

void StreamIn::read(std::uint8_t* out, std::size_t n) {
  while (n > 0) {
    if (!fill()) throw FormatError("zgen file is truncated");
    const std::size_t k = std::min(n, end_ - pos_);
    std::copy_n(buffer_.begin() + static_cast<std::ptrdiff_t>(pos_), k, out);
    pos_ += k;
    out += k;
    n -= k;
  }
}

std::size_t fill_from(const ByteSource& in, std::span<std::uint8_t> buffer) {
  std::size_t got = 0;
  while (got < buffer.size()) {
    const std::size_t n = in(buffer.subspan(got));
    if (n == 0) break;
    got += n;
  }
  return got;
}

std::string bytes_of(std::uint64_t position, std::uint64_t length) {
  return "bytes " + std::to_string(position) + " to " + std::to_string(position + length - 1);
}

void put_u32le(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_frame(Bytes& out, ByteView original, ByteView stream) {
  put_varint(out, original.size());
  put_varint(out, stream.size());
  out.insert(out.end(), stream.begin(), stream.end());
  put_u32le(out, crc32_of(original));
}

void put_trailer(Bytes& out, std::uint64_t total, std::uint32_t crc) {
  put_varint(out, 0);
  put_varint(out, total);
  put_u32le(out, crc);
}

namespace {

// The window in original bytes: at least 4 chunks per thread in parallel mode.
std::uint64_t window_of(std::uint64_t asked, std::uint64_t chunk_size, std::size_t threads) {
  const std::uint64_t w = asked ? asked : kDefaultStreamWindowBytes;
  if (!stream_chunks_in_parallel(chunk_size)) return w;
  return std::max<std::uint64_t>(w, 4 * chunk_size * threads);
}

// Whether the frame at `position` starts a chunk (the model is reset before it).
bool starts_chunk(std::uint64_t chunk_size, std::uint64_t position) {
  return chunk_size == 0 ? position == 0 : position % chunk_size == 0;
}

// One batch per predictor of a window's threads, made before the threads start (each thread
// then codes its groups on the batch of its own predictor), with as many lanes as the largest
// group (each lane holds a whole KV cache: no more than the window needs).
class BatchPerThread {
 public:
  BatchPerThread(std::span<Predictor* const> predictors, CodingMode coding, const std::vector<ChunkGroup>& groups) {
    std::size_t lanes = 1;
    for (const ChunkGroup& g : groups) lanes = std::max(lanes, g.last - g.first);
    for (Predictor* p : predictors.first(std::min(predictors.size(), groups.size()))) {
      owners_.push_back(p);
      batches_.push_back(make_batch_of(*p, coding, static_cast<int>(lanes)));
      if (!batches_.back()) throw std::logic_error("BatchPerThread: the model cannot batch");
    }
  }
  PredictorBatch& of(const Predictor& p) {
    for (std::size_t k = 0; k < owners_.size(); ++k)
      if (owners_[k] == &p) return *batches_[k];
    throw std::logic_error("BatchPerThread: not one of the predictors");
  }

 private:
  std::vector<const Predictor*> owners_;
  std::vector<std::unique_ptr<PredictorBatch>> batches_;
};

}  // namespace

StreamCompressSummary compress_stream(std::span<Predictor* const> predictors, const std::string& spec,
                                      const ByteSource& in, const ByteSink& out, const StreamCompressOptions& options) {
  if (predictors.empty()) throw std::logic_error("compress_stream: no predictor");
  for (Predictor* p : predictors)
    if (model_identity_hash(*p) != model_identity_hash(*predictors[0]))
      throw std::logic_error("compress_stream: the predictors are not one model");
  StreamCompressSummary summary;
  summary.coding = coding_mode_of(*predictors[0]);
  const std::uint64_t chunk = options.chunk_size;
  if (chunk > kMaxOriginalLength) throw UserError("chunk size " + std::to_string(chunk) + " exceeds 1 TiB");
  ContainerHeader h;
  h.version = kStreamContainerVersion;
  h.model_spec = spec;
  h.parameters_hash = stored_hash_of(*predictors[0], h.version);
  h.coding = summary.coding;
  h.chunk_size = chunk;
  Bytes header = write_stream_header(h);
  out(header);
  summary.file_bytes += header.size();

  const bool parallel = stream_chunks_in_parallel(chunk);
  const std::span<Predictor* const> used = parallel ? predictors : predictors.first(1);
  // A window is whole frames: whole chunks (parallel), or frames of up to 1 MiB read one by one.
  const std::uint64_t window = window_of(options.window_bytes, chunk, used.size());
  Bytes input(static_cast<std::size_t>(parallel ? window / chunk * chunk : kStreamSegmentBytes));
  std::vector<Bytes> streams;
  std::vector<double> ideal;
  std::vector<std::uint64_t> begin, length;
  Bytes frames;
  std::uint32_t crc = crc32_of({});
  std::uint64_t total = 0;
  for (bool end = false; !end;) {
    // Read: whole chunks up to the window, or one frame.
    begin.clear();
    length.clear();
    std::size_t got = 0;
    if (parallel) {
      got = fill_from(in, input);
      for (std::size_t b = 0; b < got; b += chunk) {
        begin.push_back(b);
        length.push_back(std::min<std::uint64_t>(chunk, got - b));
      }
      end = got < input.size();
    } else {
      const std::uint64_t limit = frame_limit(chunk, total);
      got = fill_from(in, std::span<std::uint8_t>(input).first(static_cast<std::size_t>(limit)));
      if (got > 0) {
        begin.push_back(0);
        length.push_back(got);
      }
      end = got < limit;
    }
    if (total + got > kMaxOriginalLength) throw UserError("input is larger than 1 TiB");
    // Code, in parallel over chunks or one frame with the model going on.
    streams.resize(std::max(streams.size(), begin.size()));
    ideal.assign(begin.size(), 0.0);
    const std::uint64_t window_start = total;
    std::uint64_t done = total;
    in_parallel(
        used, begin.size(),
        [&](std::size_t i, Predictor& p) {
          const ByteView data = ByteView(input).subspan(static_cast<std::size_t>(begin[i]), static_cast<std::size_t>(length[i]));
          // batch 0: byte by byte, as before the encoder's window passes (the same stream).
          ideal[i] = encode_frame(p, summary.coding, data, starts_chunk(chunk, window_start + begin[i]), streams[i],
                                  options.batch > 0);
        },
        [&](std::size_t i) {
          done += length[i];
          if (options.progress) options.progress(done);
        });
    // Write the frames in order.
    frames.clear();
    for (std::size_t i = 0; i < begin.size(); ++i) {
      const ByteView data = ByteView(input).subspan(static_cast<std::size_t>(begin[i]), static_cast<std::size_t>(length[i]));
      put_frame(frames, data, streams[i]);
      summary.ideal_bits += ideal[i];
      summary.stream_bytes += streams[i].size();
      ++summary.frames;
    }
    crc = crc32_update(crc, ByteView(input).first(got));
    total += got;
    if (end) put_trailer(frames, total, crc);
    out(frames);
    summary.file_bytes += frames.size();
  }
  summary.original_bytes = total;
  return summary;
}

namespace {

// One frame as read, then decoded.
struct Frame : FrameRecord {
  Bytes decoded;
};

std::string bytes_of(const Frame& f) { return zgen::bytes_of(f.position, f.length); }

}  // namespace

FrameReader::FrameReader(StreamIn& in, std::uint64_t chunk_size, std::uint64_t max_output)
    : in_(in), chunk_(chunk_size), max_output_(max_output), next_length_(in.varint()) {}

bool FrameReader::next(FrameRecord& f, std::uint64_t in_window, std::uint64_t window) {
  if (end_) return false;
  const std::uint64_t n = next_length_;
  if (n == 0) {
    trailer_length_ = in_.varint();
    trailer_crc_ = in_.u32le();
    if (!in_.at_end()) throw FormatError("corrupt zgen file: unexpected bytes after the trailer");
    end_ = true;
    return false;
  }
  if (in_window >= window) return false;
  const std::uint64_t limit = frame_limit(chunk_, total_);
  if (short_frame_ || n > limit)
    throw FormatError("corrupt zgen file: a frame at byte " + std::to_string(total_) + " claims " + std::to_string(n) +
                      " bytes");
  short_frame_ = n < limit;
  if (total_ + n > max_output_)
    throw FormatError("the file holds more than the limit of " + std::to_string(max_output_) + " bytes");
  const std::uint64_t m = in_.varint();
  if (m > kMaxStreamBytesPerByte * n + 16)
    throw FormatError("corrupt zgen file: the frame at byte " + std::to_string(total_) + " claims a " +
                      std::to_string(m) + "-byte stream");
  f.position = total_;
  f.length = n;
  f.stream.resize(static_cast<std::size_t>(m));
  in_.read(f.stream.data(), f.stream.size());
  f.crc = in_.u32le();
  total_ += n;
  next_length_ = in_.varint();
  return true;
}

void check_trailer(const FrameReader& reader, std::uint32_t crc) {
  if (reader.trailer_length() != reader.total())
    throw FormatError("corrupt zgen file: the trailer says " + std::to_string(reader.trailer_length()) +
                      " bytes, the frames hold " + std::to_string(reader.total()));
  if (reader.trailer_crc() != crc) throw FormatError("corrupt zgen file: CRC-32 mismatch after decoding");
}

void decode_frames(ContainerHeader& h, StreamIn& in, std::vector<Predictor*> predictors, int max_threads,
                   const MorePredictors& more, const ByteSink& out, const DecompressOptions& options) {
  if (predictors.empty()) throw std::logic_error("decode_frames: no predictor");
  for (Predictor* p : predictors)
    if (h.coding != coding_mode_of(*p))
      throw FormatError(std::string("the file codes ") + (h.coding == CodingMode::bits ? "bits" : "whole bytes") +
                        " but the model predicts " + (h.coding == CodingMode::bits ? "whole bytes" : "bits"));
  const std::uint64_t chunk = h.chunk_size;
  const bool parallel = stream_chunks_in_parallel(chunk);
  const std::size_t threads = parallel ? static_cast<std::size_t>(std::max(1, max_threads)) : 1;
  const std::uint64_t window = window_of(options.window_bytes, chunk, threads);
  const bool batched = parallel && options.batch > 0 && can_batch(*predictors[0], h.coding);
  std::vector<Frame> frames;
  std::uint32_t crc = crc32_of({});
  std::uint64_t done = 0;
  FrameReader reader(in, chunk, options.max_output);
  for (bool end = false; !end;) {
    // Read frames up to the window, or to the end and the trailer. A structural error is
    // thrown before anything of this window is decoded or written.
    std::size_t count = 0;
    for (std::uint64_t in_window = 0;; in_window += frames[count++].length) {
      if (frames.size() <= count) frames.emplace_back();
      if (!reader.next(frames[count], in_window, window)) break;
    }
    end = reader.end();
    // Decode: chunks in parallel (more predictors as the window needs them), or frames in order.
    if (parallel)
      while (predictors.size() < std::min<std::size_t>(threads, count) && more) predictors.push_back(more());
    const std::span<Predictor* const> used =
        parallel ? std::span<Predictor* const>(predictors).first(std::min(predictors.size(), threads))
                 : std::span<Predictor* const>(predictors).first(1);
    const auto where = [&](std::size_t i) { return "corrupt zgen file: the frame of " + bytes_of(frames[i]) + ": "; };
    if (batched) {
      // Whole chunks (parallel mode), groups of them in lockstep on a thread's batch.
      const std::vector<ChunkGroup> groups = batch_groups(count, used.size(), static_cast<std::size_t>(options.batch));
      BatchPerThread batches(used, h.coding, groups);
      in_parallel(
          used, groups.size(),
          [&](std::size_t g, Predictor& p) {
            const ChunkGroup& group = groups[g];
            const std::size_t n = group.last - group.first;
            std::vector<ByteView> streams;         // (n)
            std::vector<std::uint64_t> lengths;    // (n)
            std::vector<Bytes> decoded(n);         // (n)
            for (std::size_t i = group.first; i < group.last; ++i) {
              streams.push_back(frames[i].stream);
              lengths.push_back(frames[i].length);
              decoded[i - group.first].swap(frames[i].decoded);  // reuse its memory
            }
            decode_chunks_batched(batches.of(p), streams, lengths, decoded,
                                  [&](std::size_t b) { return where(group.first + b); });
            for (std::size_t i = group.first; i < group.last; ++i) frames[i].decoded.swap(decoded[i - group.first]);
          },
          [&](std::size_t g) {
            for (std::size_t i = groups[g].first; i < groups[g].last; ++i) done += frames[i].length;
            if (options.progress) options.progress(done);
          });
    } else {
      in_parallel(
          used, count,
          [&](std::size_t i, Predictor& p) {
            Frame& f = frames[i];
            try {
              decode_frame(p, h.coding, f.stream, f.length, starts_chunk(chunk, f.position), f.decoded);
            } catch (const FormatError& e) {
              throw FormatError(Wording{where(i) + e.wording().text});
            }
          },
          [&](std::size_t i) {
            done += frames[i].length;
            if (options.progress) options.progress(done);
          });
    }
    // Check every frame, then (last window) the trailer; only then write the window.
    for (std::size_t i = 0; i < count; ++i) {
      const Frame& f = frames[i];
      if (crc32_of(f.decoded) != f.crc)
        throw FormatError("corrupt zgen file: the frame of " + bytes_of(f) + " fails its CRC-32 check");
      crc = crc32_update(crc, f.decoded);
    }
    if (end) check_trailer(reader, crc);
    for (std::size_t i = 0; i < count; ++i) out(frames[i].decoded);
  }
  h.original_length = reader.total();
  h.crc32 = crc;
}

ContainerHeader decompress_stream(const ByteSource& source, const ByteSink& out, const PredictorFactory& make,
                                  const DecompressOptions& options) {
  StreamIn in(source);
  Bytes head;
  while (head.size() < sizeof kContainerMagic + 1 && !in.at_end()) head.push_back(in.u8());
  const std::size_t magic_seen = std::min(head.size(), sizeof kContainerMagic);
  if (!std::equal(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(magic_seen), kContainerMagic))
    throw FormatError("not a zgen file (wrong magic bytes)");
  if (head.size() <= sizeof kContainerMagic) throw FormatError("zgen file is truncated (header incomplete)");
  const std::uint8_t version = head[sizeof kContainerMagic];
  if (version != kStreamContainerVersion) {
    // Older versions (and unknown ones, for parse_container's message): the whole file, as before.
    while (!in.at_end()) head.push_back(in.u8());
    const ParsedContainer parsed = parse_container(head);
    if (options.header_read) options.header_read(parsed.header);
    const Bytes decoded = decompress_container(parsed, make, options);
    out(decoded);
    return parsed.header;
  }
  const std::uint64_t field_bytes = in.varint();
  if (field_bytes > kMaxStreamHeaderBytes)
    throw FormatError("corrupt zgen header: header length " + std::to_string(field_bytes));
  put_varint(head, field_bytes);  // as read: varint() accepts only the minimal encoding
  const std::size_t fields_at = head.size();
  head.resize(fields_at + static_cast<std::size_t>(field_bytes));
  in.read(head.data() + fields_at, static_cast<std::size_t>(field_bytes));
  if (in.u32le() != crc32_of(head)) throw FormatError("corrupt zgen header (checksum mismatch)");
  ContainerHeader h = parse_stream_header_fields(ByteView(head).subspan(fields_at));
  if (options.header_read) options.header_read(h);
  // One model now; in parallel mode further copies as windows with more chunks ask for them.
  FoundModel found = find_model(h, options, make);
  const std::uint64_t identity = model_identity_hash(*found.predictor);
  std::vector<std::unique_ptr<Predictor>> owned;
  owned.push_back(std::move(found.predictor));
  const MorePredictors more = [&]() -> Predictor* {
    owned.push_back(another_copy(found.spec, identity, make));
    return owned.back().get();
  };
  decode_frames(h, in, {owned[0].get()}, std::max(1, options.threads), more, out, options);
  return h;
}

}  // namespace zgen
