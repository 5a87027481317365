#pragma once
// Byte buffers and the one error type that every bad input becomes.
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace zgen {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string as_string(ByteView b) { return {b.begin(), b.end()}; }

// A problem with what the user gave us (a file, a spec, an option). The CLI prints
// `zgen: <what>` on one line and exits with code 2. Bugs are not UserError.
struct UserError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace zgen
