#include "src/cli/coding_on_processes.hpp"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "src/cli/processes.hpp"
#include "src/coding/container.hpp"
#include "src/coding/stream_coding.hpp"
#include "src/models/model_search.hpp"
#include "zgen/errors.hpp"

namespace zgen::cli {
namespace {

// The messages between the processes, written and read with the container's own varints
// (ByteReader); a double as its 8 bytes, so that process 0 adds the very bits each process found.
void put_u64le(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_bytes(Bytes& out, ByteView bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }

// Process r's share of `count` items: [first(r), first(r + 1)), contiguous and in rank order, so
// that the parts gathered in rank order are the items in order.
std::size_t first_of(std::size_t count, int rank, int processes) {
  return count * static_cast<std::size_t>(rank) / static_cast<std::size_t>(processes);
}

}  // namespace

StreamCompressSummary compress_on_processes(parallel::World& world, std::span<Predictor* const> predictors,
                                            const std::string& spec, const ByteSource& in, const ByteSink& out,
                                            const StreamCompressOptions& options) {
  const std::uint64_t chunk = options.chunk_size;
  if (predictors.empty() || !stream_chunks_in_parallel(chunk)) throw std::logic_error("compress_on_processes: not chunks");
  const int N = world.size();
  StreamCompressSummary summary;
  summary.coding = coding_mode_of(*predictors[0]);
  // A window gives every thread of every process at least 4 chunks (the file does not depend on it).
  const std::uint64_t asked = options.window_bytes ? options.window_bytes : kDefaultStreamWindowBytes;
  const std::uint64_t window = std::max<std::uint64_t>(asked, 4 * chunk * predictors.size() * static_cast<std::uint64_t>(N));
  Bytes input;
  std::uint32_t crc = crc32_of({});
  std::uint64_t total = 0;
  on_every_process([&] {
    if (!world.leader()) return;
    ContainerHeader h;
    h.version = kStreamContainerVersion;
    h.model_spec = spec;
    h.parameters_hash = stored_hash_of(*predictors[0], h.version);
    h.coding = summary.coding;
    h.chunk_size = chunk;
    const Bytes header = write_stream_header(h);
    out(header);
    summary.file_bytes += header.size();
    input.resize(static_cast<std::size_t>(window / chunk * chunk));
  });
  for (bool end = false; !end;) {
    // Process 0 reads whole chunks up to the window and hands them out; the first byte of each
    // part says whether this is the last window.
    std::size_t got = 0;
    std::vector<Bytes> parts;
    on_every_process([&] {
      if (!world.leader()) return;
      got = fill_from(in, input);
      if (total + got > kMaxOriginalLength) throw UserError("input is larger than 1 TiB");
      const std::size_t count = static_cast<std::size_t>((got + chunk - 1) / chunk);
      for (int r = 0; r < N; ++r) {
        const std::size_t lo = std::min<std::size_t>(got, first_of(count, r, N) * chunk);
        const std::size_t hi = std::min<std::size_t>(got, first_of(count, r + 1, N) * chunk);
        Bytes part{static_cast<std::uint8_t>(got < input.size())};
        put_bytes(part, ByteView(input).subspan(lo, hi - lo));
        parts.push_back(std::move(part));
      }
    });
    const Bytes mine = world.scatter(parts);
    end = mine.at(0) != 0;
    const ByteView data = ByteView(mine).subspan(1);
    // Code my chunks, each from an empty context (every chunk starts one: the window is whole
    // chunks), and send back: chunks, stream bytes, each chunk's ideal bits, then the frames.
    Bytes coded;
    on_every_process([&] {
      const std::size_t count = static_cast<std::size_t>((data.size() + chunk - 1) / chunk);
      std::vector<Bytes> streams(count);
      std::vector<double> ideal(count);
      in_parallel(predictors, count, [&](std::size_t i, Predictor& p) {
        const std::size_t b = i * static_cast<std::size_t>(chunk);
        ideal[i] = encode_frame(p, summary.coding, data.subspan(b, std::min<std::size_t>(chunk, data.size() - b)), true,
                                streams[i]);
      }, [](std::size_t) {});
      std::uint64_t stream_bytes = 0;
      for (const Bytes& s : streams) stream_bytes += s.size();
      put_varint(coded, count);
      put_varint(coded, stream_bytes);
      for (double bits : ideal) put_u64le(coded, std::bit_cast<std::uint64_t>(bits));
      for (std::size_t i = 0; i < count; ++i) {
        const std::size_t b = i * static_cast<std::size_t>(chunk);
        const ByteView chunk_data = data.subspan(b, std::min<std::size_t>(chunk, data.size() - b));
        put_frame(coded, chunk_data, streams[i]);
      }
    });
    const std::vector<Bytes> results = world.gather(coded);
    // Process 0 writes the frames in rank order, which is chunk order; the last window ends
    // with the trailer.
    on_every_process([&] {
      if (!world.leader()) return;
      Bytes frames;
      for (const Bytes& result : results) {
        ByteReader r(result, "a process's coded chunks");
        const std::uint64_t count = r.varint();
        summary.stream_bytes += r.varint();
        summary.frames += count;
        for (std::uint64_t i = 0; i < count; ++i) summary.ideal_bits += std::bit_cast<double>(r.u64le());
        put_bytes(frames, r.take(r.remaining()));
      }
      crc = crc32_update(crc, ByteView(input).first(got));
      total += got;
      if (end) put_trailer(frames, total, crc);
      out(frames);
      summary.file_bytes += frames.size();
      if (options.progress) options.progress(total);
    });
  }
  summary.original_bytes = total;
  return summary;
}

namespace {

// A ByteSource that gives `prefix` first, then what `rest` gives: process 0 reads the header
// before it knows who decodes the file, and hands it back to decompress_stream when it decodes
// alone.
ByteSource replay(Bytes prefix, const ByteSource& rest) {
  return [prefix = std::move(prefix), &rest, pos = std::size_t{0}](std::span<std::uint8_t> buffer) mutable -> std::size_t {
    if (pos < prefix.size()) {
      const std::size_t n = std::min(buffer.size(), prefix.size() - pos);
      std::copy_n(prefix.begin() + static_cast<std::ptrdiff_t>(pos), n, buffer.begin());
      pos += n;
      return n;
    }
    return rest(buffer);
  };
}

// Reads a version-3 header from `in` into `head` (every byte read, so that it can be replayed).
// Returns the header's fields when it reads as one whose chunks the processes can share; nullopt
// for anything else (another version, one history, any damage), which decompress_stream then
// reads and reports as it always does.
std::optional<Bytes> shared_header(const ByteSource& in, Bytes& head) {
  const auto take = [&](std::size_t n) {
    const std::size_t at = head.size();
    head.resize(at + n);
    const std::size_t got = fill_from(in, std::span<std::uint8_t>(head).subspan(at));
    head.resize(at + got);
    return got == n;
  };
  if (!take(sizeof kContainerMagic + 1)) return std::nullopt;
  if (!std::equal(kContainerMagic, kContainerMagic + sizeof kContainerMagic, head.begin())) return std::nullopt;
  if (head[sizeof kContainerMagic] != kStreamContainerVersion) return std::nullopt;
  std::uint64_t field_bytes = 0;
  for (int i = 0;; ++i) {  // the header length, a varint read byte by byte
    if (i == 10 || !take(1)) return std::nullopt;
    field_bytes |= std::uint64_t{head.back() & 0x7fu} << (7 * i);
    if (!(head.back() & 0x80)) break;
  }
  if (field_bytes > kMaxStreamHeaderBytes) return std::nullopt;
  const std::size_t fields_at = head.size();
  if (!take(static_cast<std::size_t>(field_bytes)) || !take(4)) return std::nullopt;
  const ByteView stored(head.data() + head.size() - 4, 4);
  std::uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) crc |= std::uint32_t{stored[static_cast<std::size_t>(i)]} << (8 * i);
  if (crc != crc32_of(ByteView(head).first(head.size() - 4))) return std::nullopt;
  Bytes fields(head.begin() + static_cast<std::ptrdiff_t>(fields_at), head.end() - 4);
  try {
    if (!stream_chunks_in_parallel(parse_stream_header_fields(fields).chunk_size)) return std::nullopt;
  } catch (const UserError&) {
    return std::nullopt;
  }
  return fields;
}

}  // namespace

void decompress_on_processes(parallel::World& world, const DecompressOnProcesses& io, const PredictorFactory& make,
                             const DecompressOptions& options) {
  const int N = world.size();
  // How much was written when a failure stops the command, as the single process says it.
  std::uint64_t written = 0;
  const auto said = [&](const std::function<void()>& work) {
    on_every_process([&] {
      try {
        work();
      } catch (const UserError& e) {
        if (world.leader()) written = io.written();
        std::string what;
        if (io.output != "-")
          what = " ('" + io.output + "' was not written)";
        else if (written == 0)
          what = " (nothing was written to standard output)";
        else
          what = " (standard output got the first " + std::to_string(written) +
                 " bytes, every chunk in them checked; the rest was not written)";
        throw UserError(Wording{e.wording().text + literal(what)});
      }
    });
  };
  // Process 0 reads the header; the processes share the file's chunks, or process 0 decodes it
  // alone (the first byte of the message says which).
  Bytes message;
  std::optional<StreamIn> in;
  said([&] {
    if (!world.leader()) return;
    Bytes head;
    const std::optional<Bytes> fields = shared_header(io.in, head);
    if (fields) {
      message.push_back(1);
      put_bytes(message, *fields);
      in.emplace(io.in);
      return;
    }
    message.push_back(0);
    decompress_stream(replay(std::move(head), io.in), io.out, make, options);
    io.commit();
  });
  world.broadcast(message);
  if (message.at(0) == 0) return;  // process 0 decoded it alone, and all agreed that it went well

  // Every process finds the model (a checkpoint missing on one node stops all) and makes one
  // copy per thread.
  ContainerHeader h;
  std::vector<std::unique_ptr<Predictor>> owned;
  std::vector<Predictor*> predictors;
  said([&] {
    h = parse_stream_header_fields(ByteView(message).subspan(1));
    if (options.header_read) options.header_read(h);
    FoundModel found = find_model(h, options, make);
    const std::uint64_t identity = model_identity_hash(*found.predictor);
    owned.push_back(std::move(found.predictor));
    while (owned.size() < static_cast<std::size_t>(std::max(1, options.threads)))
      owned.push_back(another_copy(found.spec, identity, make));
    for (const auto& p : owned) {
      if (h.coding != coding_mode_of(*p))
        throw FormatError(std::string("the file codes ") + (h.coding == CodingMode::bits ? "bits" : "whole bytes") +
                          " but the model predicts " + (h.coding == CodingMode::bits ? "whole bytes" : "bits"));
      predictors.push_back(p.get());
    }
  });
  const std::uint64_t chunk = h.chunk_size;
  const std::uint64_t asked = options.window_bytes ? options.window_bytes : kDefaultStreamWindowBytes;
  const std::uint64_t window = std::max<std::uint64_t>(asked, 4 * chunk * predictors.size() * static_cast<std::uint64_t>(N));
  std::uint32_t crc = crc32_of({});
  std::uint64_t total = 0;
  std::optional<FrameReader> reader;  // process 0's
  std::vector<FrameRecord> read;      // process 0's: the window's frames as read
  said([&] {
    if (world.leader()) reader.emplace(*in, chunk, options.max_output);
  });
  for (bool end = false; !end;) {
    // Process 0 reads the window's frames with every structural check (FrameReader: a damaged
    // structure stops all before anything of the window is decoded) and hands each process a
    // run of them: [last window?] then, per frame, position, length, CRC, stream.
    std::vector<Bytes> parts;
    said([&] {
      if (!world.leader()) return;
      std::size_t count = 0;
      for (std::uint64_t in_window = 0;; in_window += read[count++].length) {
        if (read.size() <= count) read.emplace_back();
        if (!reader->next(read[count], in_window, window)) break;
      }
      const bool last = reader->end();
      for (int r = 0; r < N; ++r) {
        Bytes part{static_cast<std::uint8_t>(last)};
        for (std::size_t i = first_of(count, r, N); i < first_of(count, r + 1, N); ++i) {
          put_varint(part, read[i].position);
          put_varint(part, read[i].length);
          put_u32le(part, read[i].crc);
          put_varint(part, read[i].stream.size());
          put_bytes(part, read[i].stream);
        }
        parts.push_back(std::move(part));
      }
    });
    const Bytes mine = world.scatter(parts);
    end = mine.at(0) != 0;
    // Decode my frames, each from an empty context, and check each one's CRC in order.
    Bytes decoded;
    said([&] {
      struct Frame {
        std::uint64_t position, length;
        std::uint32_t crc;
        ByteView stream;
        Bytes decoded;
      };
      std::vector<Frame> frames;
      ByteReader r(ByteView(mine).subspan(1), "a process's frames");
      while (r.remaining() > 0) {
        Frame f;
        f.position = r.varint();
        f.length = r.varint();
        f.crc = r.u32le();
        f.stream = r.take(r.varint());
        frames.push_back(std::move(f));
      }
      in_parallel(predictors, frames.size(), [&](std::size_t i, Predictor& p) {
        Frame& f = frames[i];
        try {
          decode_frame(p, h.coding, f.stream, f.length, true, f.decoded);
        } catch (const FormatError& e) {
          throw FormatError(Wording{"corrupt zgen file: the frame of " + bytes_of(f.position, f.length) + ": " +
                                    e.wording().text});
        }
      }, [](std::size_t) {});
      for (const Frame& f : frames) {
        if (crc32_of(f.decoded) != f.crc)
          throw FormatError("corrupt zgen file: the frame of " + bytes_of(f.position, f.length) +
                            " fails its CRC-32 check");
        put_bytes(decoded, f.decoded);
      }
    });
    const std::vector<Bytes> results = world.gather(decoded);
    // Process 0 checks the whole (the last window: the trailer), then writes the window.
    said([&] {
      if (!world.leader()) return;
      for (const Bytes& part : results) {
        crc = crc32_update(crc, part);
        total += part.size();
      }
      if (end) check_trailer(*reader, crc);
      for (const Bytes& part : results)
        if (!part.empty()) io.out(part);
      if (options.progress) options.progress(total);
      if (end) io.commit();
    });
    // The bytes written so far, for the message of a failure in a later window.
    Bytes count;
    put_varint(count, world.leader() ? io.written() : 0);
    world.broadcast(count);
    written = ByteReader(count, "a count").varint();
  }
}

}  // namespace zgen::cli
