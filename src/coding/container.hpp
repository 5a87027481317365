#pragma once
// The .zgen file: what a model-coded stream needs to be decoded by `zgen decompress FILE`.
// Its header and parse_container are public (include/zgen/coding.hpp); writing it and the
// field readers are the library's own.
//
//   magic            4 bytes  89 'Z' 'G' 'N'
//   version          1 byte   kContainerVersion (written); kOldestContainerVersion.. read
//   coding           1 byte   low 4 bits: CodingMode, how the payload codes each byte; high 4
//                             bits: the transformer arithmetic − 1 (see below), written only
//                             when the SPEC has a transformer:PATH part (0 for any other)
//   model spec       varint length (<= kMaxSpecBytes), then the bytes, e.g. "ppm:6"
//   parameters hash  8 bytes  little-endian; the model's identity (see below)
//   original length  varint   bytes of the original (<= kMaxOriginalLength)
//   chunk size       varint   0: one stream with full history; else each chunk coded on its own
//   crc32            4 bytes  little-endian, zlib's crc32 of the original
//   header crc32     4 bytes  little-endian, crc32 of every byte above
//   payload length   varint   then exactly that many payload bytes, then the end of the file
//
// The transformer coding (ContainerHeader::transformer_coding; every version, both layouts):
// how a `transformer:PATH` part of the model spec computes its probabilities, its arithmetic
// and window rule (src/transformer/coding_version.hpp). 1 (high bits 0): fp32, every file
// written before half floats; the decoder loads such a part as transformer-fp32:PATH. 2 (high
// bits 1): half floats, loaded as transformer-v2:PATH. 3 (high bits 2): half floats and a
// window that keeps a quarter, what this zgen writes. A part that names an earlier coding's
// prefix computes in that coding whatever the high bits. The model's hash differs between the
// codings, so a decoder computing another one refuses the file; zgen before half floats refuses
// codings 2 and 3 ("unknown coding mode 16/17", "32/33"), zgen before coding 3 refuses it ("unsupported
// transformer arithmetic 3").
//
// Varints are unsigned LEB128, minimal, at most 10 bytes. The parser trusts nothing: every
// field is bounds-checked before use and every failure is a one-line UserError.
//
// The versions differ only in what the 8-byte hash covers (the layout is the same):
//   2: model_identity_hash(): Predictor::identity() (the canonical name without a checkpoint's
//      path: "transformer", "mix:transformer+ppm:6", "gzip:9") and Predictor::parameters_hash()
//      (weights and the arithmetic's fingerprint). A moved checkpoint is the same model; the
//      SPEC's paths say where to look first (src/models/model_search.hpp).
//   1: model_parameters_hash(): the same with Predictor::name(), which includes a checkpoint's
//      path as stored in the SPEC. For models without a checkpoint both hashes are equal.
// A version-1 file is still read: the model search hashes a found checkpoint under the path
// stored in the file, so it is found by content like a version-2 file.
//
// Version 3, the stream layout (src/coding/stream_coding.cpp; written by compress_stream, so by
// `zgen compress`): nothing in it needs the input's length before the end, so stdin of unknown
// length is coded in one pass, and every chunk can be checked on its own before it is written out.
//
//   magic            4 bytes  89 'Z' 'G' 'N'
//   version          1 byte   3
//   header length    varint   bytes of the fields below up to the header crc (<= kMaxStreamHeaderBytes)
//     coding           1 byte   as above (CodingMode, transformer arithmetic)
//     model spec       varint length, then the bytes
//     parameters hash  8 bytes  little-endian, model_identity_hash() as in version 2
//     chunk size       varint   0: one history over the whole input
//   header crc32     4 bytes  crc32 of every byte above (magic included)
//   frames, each:
//     length         varint   original bytes in the frame, 1..frame_limit(chunk size, position)
//     stream length  varint   <= kMaxStreamBytesPerByte · length + 16
//     stream         that many bytes: one arithmetic-coded stream (the coder starts afresh)
//     crc32          4 bytes  crc32 of the frame's original bytes
//   end              varint 0 (a frame of no bytes)
//   total length     varint   the sum of the frames' lengths
//   crc32            4 bytes  crc32 of the whole original
//   then the end of the file.
//
// Frames and chunks: a frame holds at most kStreamSegmentBytes (1 MiB) and never crosses a chunk
// boundary (frame_limit). With a chunk size of 1..1 MiB a frame is exactly one chunk (the model
// reset before it), and chunks are coded in parallel. With chunk size 0 (one history) or one
// above 1 MiB, a chunk spans several frames: the coder is flushed at each frame's end (a few
// bytes) but the model keeps its state, and the frames of a chunk are coded one after the other.
// Every frame but the last has its full frame_limit; a shorter one must be followed by the end.
#include <cstdint>
#include <string>
#include <utility>

#include "zgen/bytes.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"

namespace zgen {

inline constexpr std::uint8_t kContainerMagic[4] = {0x89, 'Z', 'G', 'N'};
inline constexpr std::size_t kMaxSpecBytes = 4096;
inline constexpr std::uint8_t kStreamContainerVersion = 3;
inline constexpr std::size_t kMaxStreamHeaderBytes = kMaxSpecBytes + 64;
// A coded byte costs at most 16 bits in bits mode (p1 clamped to [1, 65535], 8 decisions) and
// 24 bits in bytes mode (every symbol at least 1 of 2^24), plus the coder's end: a frame's stream
// longer than this is corrupt, which bounds what a damaged length can make the decoder read.
inline constexpr std::uint64_t kMaxStreamBytesPerByte = 17;

// The most original bytes the next frame may hold at `position` (bytes before it).
inline std::uint64_t frame_limit(std::uint64_t chunk_size, std::uint64_t position) {
  if (chunk_size == 0) return kStreamSegmentBytes;
  const std::uint64_t left_in_chunk = chunk_size - position % chunk_size;
  return left_in_chunk < kStreamSegmentBytes ? left_in_chunk : kStreamSegmentBytes;
}

// Version 3's header, whole (magic to header crc), and its parser: `fields` are the bytes between
// the header length and the header crc, `whole` every byte before the crc.
Bytes write_stream_header(const ContainerHeader& header);
ContainerHeader parse_stream_header_fields(ByteView fields);

// Writes header.version (kOldestContainerVersion..kContainerVersion; tests write version 1 to
// check that old files still decode).
Bytes write_container(const ContainerHeader& header, ByteView payload);

// zlib's CRC-32, and the CRC-32 of (the data `crc` was computed over) followed by `data`.
std::uint32_t crc32_of(ByteView data);
std::uint32_t crc32_update(std::uint32_t crc, ByteView data);

// Unsigned LEB128.
void put_varint(Bytes& out, std::uint64_t value);

// Reads fields from a buffer; every read past the end throws UserError("<what>: truncated").
class ByteReader {
 public:
  ByteReader(ByteView data, std::string what) : data_(data), what_(std::move(what)) {}
  std::uint8_t u8();
  std::uint32_t u32le();
  std::uint64_t u64le();
  std::uint64_t varint();  // rejects overlong and non-minimal encodings
  ByteView take(std::uint64_t n);
  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }

 private:
  [[noreturn]] void truncated() const;
  ByteView data_;
  std::size_t pos_ = 0;
  std::string what_;
};

}  // namespace zgen
