#pragma once
// The safetensors format (https://github.com/huggingface/safetensors), float32 tensors only:
//   8 bytes: N, the header's length, unsigned little-endian
//   N bytes: a JSON object {"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [..],
//            "data_offsets": [begin, end]}, ...}, padded with spaces
//   the data: every tensor's little-endian bytes at [begin, end) relative to the data's start.
// The reader is strict, as Python's safetensors is: the tensors must tile the data exactly (no
// overlap, gap or trailing bytes), each tensor's byte size must equal its shape's, and anything
// else wrong (truncation, bad JSON, duplicate names, absurd sizes) is a one-line UserError.
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"

namespace zgen::safetensors {

// The largest header the reader accepts (Python's safetensors uses the same 100 MB limit).
inline constexpr std::size_t kMaxHeaderBytes = 100u << 20;

// A tensor to write: its data is read while serialising.
struct TensorRef {
  std::string name;
  std::vector<std::int64_t> shape;
  std::span<const float> data;  // size must equal the product of shape
};

struct TensorInfo {
  std::string dtype;  // always "F32" after a successful parse
  std::vector<std::int64_t> shape;
  std::size_t begin = 0, end = 0;  // byte offsets into the data section
  std::size_t elements() const { return (end - begin) / 4; }
};

struct File {
  std::map<std::string, std::string> metadata;
  std::map<std::string, TensorInfo> tensors;
  Bytes data;  // the data section
  // A copy of one tensor's values; UserError when the name is missing.
  std::vector<float> read(const std::string& name) const;
};

// The file's bytes; tensors are laid out in the order given, the header keys are sorted.
Bytes serialize(const std::vector<TensorRef>& tensors, const std::map<std::string, std::string>& metadata);
// `what` names the source in error messages ("'model.safetensors'").
File parse(ByteView bytes, const std::string& what);

// Whole-file helpers: save writes to a temporary file and renames it, so a crash never leaves
// a half-written checkpoint under the final name.
void save(const std::string& path, const std::vector<TensorRef>& tensors,
          const std::map<std::string, std::string>& metadata);
File load(const std::string& path);

}  // namespace zgen::safetensors
