#pragma once
// Bytes between Python and zgen: a copy each way (Python's bytes are immutable, and the copy
// lets the call release the GIL while it works on its own buffer).
#include <pybind11/pybind11.h>

#include <string_view>

#include "zgen/bytes.hpp"

namespace zgen::python {

inline Bytes bytes_of(const pybind11::bytes& b) {
  const std::string_view s = b;
  return Bytes(s.begin(), s.end());
}

inline pybind11::bytes to_python(const Bytes& b) {
  return pybind11::bytes(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace zgen::python
