#include "src/coding/container.hpp"
#include "src/models/mixed_predictor.hpp"
#include "src/transformer/coding_version.hpp"
#include "zgen/errors.hpp"

#include <zlib.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace zgen {

std::uint32_t crc32_of(ByteView data) { return crc32_update(static_cast<std::uint32_t>(::crc32(0L, Z_NULL, 0)), data); }

std::uint32_t crc32_update(std::uint32_t start, ByteView data) {
  uLong crc = start;
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

namespace {
// The coding byte: the CodingMode in the low four bits, transformer_coding − 1 in the high
// four (container.hpp), written only for a SPEC with a transformer:PATH part (for any other the
// transformer coding changes nothing, and its files stay byte for byte what they were).
constexpr std::uint8_t kNewestTransformerCodingNumber = static_cast<std::uint8_t>(kNewestTransformerCoding);
static_assert(kTransformerCoding == kNewestTransformerCodingNumber, "a new header writes the newest coding");

bool names_transformer(const std::string& spec) {
  const std::vector<std::string> parts = spec.rfind("mix:", 0) == 0 ? mix_part_specs(spec) : std::vector{spec};
  return std::any_of(parts.begin(), parts.end(), [](const std::string& p) {
    return p.starts_with(transformer_spec_prefix(kNewestTransformerCoding));
  });
}

std::uint8_t coding_byte(const ContainerHeader& h) {
  if (h.transformer_coding < 1 || h.transformer_coding > kNewestTransformerCodingNumber)
    throw std::logic_error("container: no transformer coding " + std::to_string(h.transformer_coding));
  const int high = names_transformer(h.model_spec) ? h.transformer_coding - 1 : 0;
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(h.coding) | high << 4);
}
}  // namespace

Bytes write_container(const ContainerHeader& h, ByteView payload) {
  if (h.model_spec.size() > kMaxSpecBytes) throw UserError("model spec is longer than 4096 bytes");
  if (h.original_length > kMaxOriginalLength) throw UserError("input is larger than 1 TiB");
  if (h.version < kOldestContainerVersion || h.version > kWholeContainerVersion)
    throw std::logic_error("write_container: no whole-buffer format version " + std::to_string(h.version));
  Bytes out(std::begin(kContainerMagic), std::end(kContainerMagic));
  out.push_back(h.version);
  out.push_back(coding_byte(h));
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

namespace {

// The fields every version shares, checked the same way (the header CRC passed: these catch an
// encoder that wrote nonsense).
void check_fields(ContainerHeader& h, std::uint8_t coding, ByteView spec) {
  const std::uint8_t transformer_coding = (coding >> 4) + 1;
  if (transformer_coding > kNewestTransformerCodingNumber)
    throw FormatError("unsupported transformer coding " + std::to_string(transformer_coding) +
                      " (this zgen computes 1 to " + std::to_string(kNewestTransformerCodingNumber) +
                      "; a newer zgen wrote the file?)");
  coding &= 0x0F;
  if (coding > static_cast<std::uint8_t>(CodingMode::bits))
    throw FormatError("corrupt zgen header: unknown coding mode " + std::to_string(coding));
  h.coding = static_cast<CodingMode>(coding);
  h.transformer_coding = transformer_coding;
  for (std::uint8_t c : spec)
    if (c < 0x20 || c == 0x7f) throw FormatError("corrupt zgen header: control character in the model spec");
  h.model_spec = as_string(spec);
  if (h.model_spec.empty()) throw FormatError("corrupt zgen header: no model spec");
  if (h.chunk_size > kMaxOriginalLength) throw FormatError("corrupt zgen header: chunk size " + std::to_string(h.chunk_size));
}

void put_u32le(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// Version 3 in memory: the header, then every frame's structure walked (lengths, limits, the
// end marker, the trailer) without decoding, so that the header gets its length and CRC.
ParsedContainer parse_stream_container(ByteView file) {
  ByteReader r(file, "zgen file header");
  r.take(sizeof kContainerMagic + 1);
  const std::uint64_t field_bytes = r.varint();
  if (field_bytes > kMaxStreamHeaderBytes)
    throw FormatError("corrupt zgen header: header length " + std::to_string(field_bytes));
  ParsedContainer p;
  p.header = parse_stream_header_fields(r.take(field_bytes));
  const std::size_t header_end = r.position();
  if (r.u32le() != crc32_of(file.first(header_end))) throw FormatError("corrupt zgen header (checksum mismatch)");
  ByteReader f(file.subspan(r.position()), "zgen file");
  const std::uint64_t chunk = p.header.chunk_size;
  std::uint64_t total = 0;
  bool short_frame = false;
  for (std::uint64_t frame = 0;; ++frame) {
    const std::uint64_t n = f.varint();
    if (n == 0) break;
    if (short_frame || n > frame_limit(chunk, total))
      throw FormatError("corrupt zgen file: frame " + std::to_string(frame) + " claims " + std::to_string(n) + " bytes");
    short_frame = n < frame_limit(chunk, total);
    const std::uint64_t m = f.varint();
    if (m > kMaxStreamBytesPerByte * n + 16)
      throw FormatError("corrupt zgen file: frame " + std::to_string(frame) + "'s stream claims " + std::to_string(m) + " bytes");
    f.take(m);
    f.u32le();
    total += n;
    if (total > kMaxOriginalLength) throw FormatError("corrupt zgen file: more than 1 TiB of frames");
  }
  p.header.original_length = f.varint();
  if (p.header.original_length != total)
    throw FormatError("corrupt zgen file: the trailer says " + std::to_string(p.header.original_length) +
                      " bytes, the frames hold " + std::to_string(total));
  p.header.crc32 = f.u32le();
  if (f.remaining() != 0)
    throw FormatError("corrupt zgen file: " + std::to_string(f.remaining()) + " unexpected byte(s) after the trailer");
  p.payload = file.subspan(r.position());
  return p;
}

}  // namespace

Bytes write_stream_header(const ContainerHeader& h) {
  if (h.model_spec.size() > kMaxSpecBytes) throw UserError("model spec is longer than 4096 bytes");
  Bytes fields;
  fields.push_back(coding_byte(h));
  put_varint(fields, h.model_spec.size());
  fields.insert(fields.end(), h.model_spec.begin(), h.model_spec.end());
  for (int i = 0; i < 8; ++i) fields.push_back(static_cast<std::uint8_t>(h.parameters_hash >> (8 * i)));
  put_varint(fields, h.chunk_size);
  Bytes out(std::begin(kContainerMagic), std::end(kContainerMagic));
  out.push_back(kStreamContainerVersion);
  put_varint(out, fields.size());
  out.insert(out.end(), fields.begin(), fields.end());
  put_u32le(out, crc32_of(out));
  return out;
}

ContainerHeader parse_stream_header_fields(ByteView fields) {
  ByteReader r(fields, "zgen file header");
  ContainerHeader h;
  h.version = kStreamContainerVersion;
  const std::uint8_t coding = r.u8();
  const std::uint64_t spec_bytes = r.varint();
  if (spec_bytes > kMaxSpecBytes) throw FormatError("corrupt zgen header: model spec length " + std::to_string(spec_bytes));
  const ByteView spec = r.take(spec_bytes);
  h.parameters_hash = r.u64le();
  h.chunk_size = r.varint();
  if (r.remaining() != 0) throw FormatError("corrupt zgen header: " + std::to_string(r.remaining()) + " unknown byte(s)");
  check_fields(h, coding, spec);
  return h;
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
  if (version == kStreamContainerVersion) return parse_stream_container(file);

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
  check_fields(h, coding, spec);
  if (h.original_length > kMaxOriginalLength)
    throw FormatError("corrupt zgen header: original length " + std::to_string(h.original_length) + " exceeds 1 TiB");

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
