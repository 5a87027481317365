#include "src/coding/container.hpp"
#include "zgen/errors.hpp"

#include <zlib.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace zgen {

std::uint32_t crc32_of(ByteView data) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed large buffers in pieces.
  for (std::size_t pos = 0; pos < data.size();) {
    const std::size_t n = std::min<std::size_t>(data.size() - pos, 1u << 30);
    crc = ::crc32(crc, data.data() + pos, static_cast<uInt>(n));
    pos += n;
  }
  return static_cast<std::uint32_t>(crc);
}

void put_varint(Bytes& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

void ByteReader::truncated() const { throw FormatError(what_ + ": truncated"); }

std::uint8_t ByteReader::u8() {
  if (pos_ >= data_.size()) truncated();
  return data_[pos_++];
}

std::uint32_t ByteReader::u32le() {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{u8()} << (8 * i);
  return v;
}

std::uint64_t ByteReader::u64le() {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{u8()} << (8 * i);
  return v;
}

std::uint64_t ByteReader::varint() {
  std::uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    const std::uint8_t b = u8();
    if (i == 9 && b > 1) throw FormatError(what_ + ": a number overflows 64 bits");
    v |= std::uint64_t{b & 0x7fu} << (7 * i);
    if (!(b & 0x80)) {
      if (i > 0 && b == 0) throw FormatError(what_ + ": a number is not minimally encoded");
      return v;
    }
  }
  throw FormatError(what_ + ": a number is longer than 10 bytes");
}

ByteView ByteReader::take(std::uint64_t n) {
  if (n > remaining()) truncated();
  const ByteView v = data_.subspan(pos_, static_cast<std::size_t>(n));
  pos_ += static_cast<std::size_t>(n);
  return v;
}

Bytes write_container(const ContainerHeader& h, ByteView payload) {
  if (h.model_spec.size() > kMaxSpecBytes) throw UserError("model spec is longer than 4096 bytes");
  if (h.original_length > kMaxOriginalLength) throw UserError("input is larger than 1 TiB");
  if (h.version < kOldestContainerVersion || h.version > kContainerVersion)
    throw std::logic_error("write_container: no format version " + std::to_string(h.version));
  Bytes out(std::begin(kContainerMagic), std::end(kContainerMagic));
  out.push_back(h.version);
  out.push_back(static_cast<std::uint8_t>(h.coding));
  put_varint(out, h.model_spec.size());
  out.insert(out.end(), h.model_spec.begin(), h.model_spec.end());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(h.parameters_hash >> (8 * i)));
  put_varint(out, h.original_length);
  put_varint(out, h.chunk_size);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(h.crc32 >> (8 * i)));
  const std::uint32_t header_crc = crc32_of(out);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(header_crc >> (8 * i)));
  put_varint(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

ParsedContainer parse_container(ByteView file) {
  // Identity first, so that a different file gets "not a zgen file" rather than a field error.
  const std::size_t magic_seen = std::min(file.size(), sizeof kContainerMagic);
  if (!std::equal(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(magic_seen), kContainerMagic))
    throw FormatError("not a zgen file (wrong magic bytes)");
  if (file.size() <= sizeof kContainerMagic) throw FormatError("zgen file is truncated (header incomplete)");
  const std::uint8_t version = file[sizeof kContainerMagic];
  if (version < kOldestContainerVersion || version > kContainerVersion)
    throw FormatError("unsupported zgen format version " + std::to_string(version) + " (this zgen reads versions " +
                    std::to_string(kOldestContainerVersion) + " to " + std::to_string(kContainerVersion) + ")");

  ByteReader r(file, "zgen file header");
  r.take(sizeof kContainerMagic + 1);
  ParsedContainer p;
  ContainerHeader& h = p.header;
  h.version = version;
  const std::uint8_t coding = r.u8();
  const std::uint64_t spec_bytes = r.varint();
  if (spec_bytes > kMaxSpecBytes) throw FormatError("corrupt zgen header: model spec length " + std::to_string(spec_bytes));
  const ByteView spec = r.take(spec_bytes);
  h.parameters_hash = r.u64le();
  h.original_length = r.varint();
  h.chunk_size = r.varint();
  h.crc32 = r.u32le();
  const std::size_t header_end = r.position();
  if (r.u32le() != crc32_of(file.first(header_end))) throw FormatError("corrupt zgen header (checksum mismatch)");

  // The header is as written; what follows checks that it was written by a sane encoder.
  if (coding > static_cast<std::uint8_t>(CodingMode::bits))
    throw FormatError("corrupt zgen header: unknown coding mode " + std::to_string(coding));
  h.coding = static_cast<CodingMode>(coding);
  for (std::uint8_t c : spec)
    if (c < 0x20 || c == 0x7f) throw FormatError("corrupt zgen header: control character in the model spec");
  h.model_spec = as_string(spec);
  if (h.model_spec.empty()) throw FormatError("corrupt zgen header: no model spec");
  if (h.original_length > kMaxOriginalLength)
    throw FormatError("corrupt zgen header: original length " + std::to_string(h.original_length) + " exceeds 1 TiB");
  if (h.chunk_size > kMaxOriginalLength) throw FormatError("corrupt zgen header: chunk size " + std::to_string(h.chunk_size));

  ByteReader pr(file.subspan(r.position()), "zgen file");
  const std::uint64_t payload_bytes = pr.varint();
  if (payload_bytes > pr.remaining())
    throw FormatError("zgen file is truncated: the payload has " + std::to_string(pr.remaining()) + " of " +
                    std::to_string(payload_bytes) + " bytes");
  p.payload = pr.take(payload_bytes);
  if (pr.remaining() != 0)
    throw FormatError("corrupt zgen file: " + std::to_string(pr.remaining()) + " unexpected byte(s) after the payload");
  return p;
}

}  // namespace zgen
