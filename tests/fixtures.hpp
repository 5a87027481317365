#pragma once
// Reading the small real files in tests/data (see its README for sources and licences).
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "zgen/bytes.hpp"

namespace zgen::test {

inline Bytes read_fixture(const std::string& name) {
  std::ifstream in(std::string(ZGEN_TEST_DATA) + "/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in, "missing fixture tests/data/", name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace zgen::test
