#pragma once
// The .zgen file: what a model-coded stream needs to be decoded by `zgen decompress FILE`.
// Its header and parse_container are public (include/zgen/coding.hpp); writing it and the
// field readers are the library's own.
//
//   magic            4 bytes  89 'Z' 'G' 'N'
//   version          1 byte   kContainerVersion (written); kOldestContainerVersion.. read
//   coding           1 byte   CodingMode: how the payload codes each byte
//   model spec       varint length (<= kMaxSpecBytes), then the bytes, e.g. "ppm:6"
//   parameters hash  8 bytes  little-endian; the model's identity (see below)
//   original length  varint   bytes of the original (<= kMaxOriginalLength)
//   chunk size       varint   0: one stream with full history; else each chunk coded on its own
//   crc32            4 bytes  little-endian, zlib's crc32 of the original
//   header crc32     4 bytes  little-endian, crc32 of every byte above
//   payload length   varint   then exactly that many payload bytes, then the end of the file
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
#include <cstdint>
#include <string>
#include <utility>

#include "zgen/bytes.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"

namespace zgen {

inline constexpr std::uint8_t kContainerMagic[4] = {0x89, 'Z', 'G', 'N'};
inline constexpr std::size_t kMaxSpecBytes = 4096;

// Writes header.version (kOldestContainerVersion..kContainerVersion; tests write version 1 to
// check that old files still decode).
Bytes write_container(const ContainerHeader& header, ByteView payload);

// zlib's CRC-32.
std::uint32_t crc32_of(ByteView data);

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
