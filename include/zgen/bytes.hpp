#pragma once
// Byte buffers: owned (Bytes) and borrowed (ByteView).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace zgen {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string as_string(ByteView b) { return {b.begin(), b.end()}; }

}  // namespace zgen
