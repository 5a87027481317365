#include "src/transformer/safetensors.hpp"

#include "src/common/file_io.hpp"
#include "zgen/errors.hpp"


#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

namespace zgen::safetensors {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; so is this code");

namespace {

using json = nlohmann::json;

// Tensor data beyond this is refused before any allocation (a corrupt header cannot make us
// allocate petabytes); larger than any model this project trains by four orders of magnitude.
constexpr std::uint64_t kMaxDataBytes = std::uint64_t{1} << 40;
constexpr std::size_t kMaxRank = 8;

std::string name_of(const std::string& s) {
  std::string q = s.size() > 60 ? s.substr(0, 60) + "…" : s;
  return "'" + q + "'";
}

const std::set<std::string>& known_dtypes() {
  static const std::set<std::string> d = {"BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32",
                                          "F64", "I64", "U64", "F8_E4M3", "F8_E5M2", "C64"};
  return d;
}

}  // namespace

std::vector<float> File::read(const std::string& name) const {
  const auto it = tensors.find(name);
  if (it == tensors.end()) throw UserError("tensor " + name_of(name) + " is missing");
  std::vector<float> v(it->second.elements());
  if (!v.empty()) std::memcpy(v.data(), data.data() + it->second.begin, v.size() * sizeof(float));
  return v;
}

Bytes serialize(const std::vector<TensorRef>& tensors, const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::size_t offset = 0;
  for (const auto& t : tensors) {
    std::size_t n = 1;
    for (auto d : t.shape) n *= static_cast<std::size_t>(d);
    if (n != t.data.size()) throw std::logic_error("safetensors::serialize: shape disagrees with data for " + t.name);
    if (t.name.empty() || t.name == "__metadata__" || header.contains(t.name))
      throw std::logic_error("safetensors::serialize: bad or duplicate tensor name " + t.name);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + 4 * n}}};
    offset += 4 * n;
  }
  std::string text = header.dump();
  // Pad so that the data starts 8-byte aligned, as Python's writer does.
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');
  Bytes out(8 + text.size() + offset);
  const std::uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, text.data(), text.size());
  std::size_t at = 8 + text.size();
  for (const auto& t : tensors) {
    if (!t.data.empty()) std::memcpy(out.data() + at, t.data.data(), t.data.size() * sizeof(float));
    at += t.data.size() * sizeof(float);
  }
  return out;
}

File parse(ByteView bytes, const std::string& what) {
  auto fail = [&](const std::string& why) -> UserError { return UserError(what + " is not a valid safetensors file: " + why); };
  if (bytes.size() < 8) throw fail("truncated (" + std::to_string(bytes.size()) + " bytes, no header length)");
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > kMaxHeaderBytes)
    throw fail("absurd header length " + std::to_string(header_len) + " (limit " + std::to_string(kMaxHeaderBytes) + ")");
  if (header_len > bytes.size() - 8)
    throw fail("truncated: header length " + std::to_string(header_len) + " exceeds the " +
               std::to_string(bytes.size() - 8) + " bytes after it");
  if (header_len < 2) throw fail("header too short");
  const auto* hbegin = reinterpret_cast<const char*>(bytes.data() + 8);
  if (*hbegin != '{') throw fail("header does not start with '{'");

  // Duplicate keys at the top level would silently shadow each other: refuse them.
  std::set<std::string> seen;
  std::string duplicate;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && !seen.insert(parsed.get<std::string>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  json header = json::parse(hbegin, hbegin + header_len, cb, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) throw fail("header is not a JSON object");
  if (!duplicate.empty()) throw fail("tensor " + name_of(duplicate) + " appears twice in the header");

  File file;
  const std::uint64_t data_size = bytes.size() - 8 - header_len;
  if (data_size > kMaxDataBytes) throw fail("absurd data size " + std::to_string(data_size));
  std::vector<std::pair<std::size_t, std::string>> by_offset;  // (begin, name)
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) throw fail("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) throw fail("__metadata__ value for " + name_of(m.key()) + " is not a string");
        file.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    if (name.empty()) throw fail("a tensor has an empty name");
    if (!v.is_object() || v.size() != 3 || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
      throw fail("tensor " + name_of(name) + " needs exactly dtype, shape and data_offsets");
    const json& dtype = v["dtype"];
    if (!dtype.is_string()) throw fail("tensor " + name_of(name) + " has a dtype that is not a string");
    TensorInfo info;
    info.dtype = dtype.get<std::string>();
    if (info.dtype != "F32") {
      if (known_dtypes().count(info.dtype))
        throw UserError(what + ": tensor " + name_of(name) + " is " + info.dtype + "; zgen reads F32 tensors only");
      throw fail("tensor " + name_of(name) + " has unknown dtype " + name_of(info.dtype));
    }
    const json& shape = v["shape"];
    if (!shape.is_array() || shape.size() > kMaxRank)
      throw fail("tensor " + name_of(name) + " has a shape that is not an array of at most 8 sizes");
    std::uint64_t elements = 1;
    for (const auto& d : shape) {
      if (!d.is_number_unsigned()) throw fail("tensor " + name_of(name) + " has a shape entry that is not a size");
      const std::uint64_t n = d.get<std::uint64_t>();
      if (n > kMaxDataBytes || (n > 0 && elements > kMaxDataBytes / n))
        throw fail("tensor " + name_of(name) + " has an absurd shape");
      elements *= n;
      info.shape.push_back(static_cast<std::int64_t>(n));
    }
    const json& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw fail("tensor " + name_of(name) + " needs data_offsets [begin, end] of two sizes");
    const std::uint64_t begin = off[0].get<std::uint64_t>(), end = off[1].get<std::uint64_t>();
    if (begin > end || end > data_size)
      throw fail("tensor " + name_of(name) + " has offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                 ") outside the " + std::to_string(data_size) + " data bytes");
    if (end - begin != 4 * elements)
      throw fail("tensor " + name_of(name) + " holds " + std::to_string(end - begin) + " bytes but its F32 shape needs " +
                 std::to_string(4 * elements));
    info.begin = static_cast<std::size_t>(begin);
    info.end = static_cast<std::size_t>(end);
    by_offset.emplace_back(info.begin, name);
    file.tensors.emplace(name, std::move(info));
  }
  // The tensors must tile the data section exactly.
  std::sort(by_offset.begin(), by_offset.end());
  std::size_t at = 0;
  std::string previous;
  for (const auto& [begin, name] : by_offset) {
    const TensorInfo& t = file.tensors.at(name);
    if (begin < at) throw fail("tensors " + name_of(previous) + " and " + name_of(name) + " overlap");
    if (begin > at) throw fail("data bytes [" + std::to_string(at) + ", " + std::to_string(begin) + ") belong to no tensor");
    at = t.end;
    previous = name;
  }
  if (at != data_size)
    throw fail(std::to_string(data_size - at) + " data bytes after the last tensor belong to no tensor");
  file.data.assign(bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_len), bytes.end());
  return file;
}

void save(const std::string& path, const std::vector<TensorRef>& tensors,
          const std::map<std::string, std::string>& metadata) {
  const Bytes bytes = serialize(tensors, metadata);
  write_file_atomically(path, bytes);
}

File load(const std::string& path) {
  // Only a regular file: its size is checked before anything is read.
  const InputFileInfo info = check_input_file(path);
  if (!info.regular) throw FileError(path, "'" + path + "' is not a regular file");
  if (info.size > kMaxDataBytes + kMaxHeaderBytes + 8)
    throw FormatError("'" + path + "' is too large to be a zgen checkpoint");
  return parse(read_file(path), "'" + path + "'");
}

}  // namespace zgen::safetensors
