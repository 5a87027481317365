#pragma once
// Reading the small real files in tests/data (see its README for sources and licences).
#include <doctest/doctest.h>

#include <memory>
#include <random>
#include <string>

#include "src/common/file_io.hpp"
#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"

namespace zgen::test {

// A missing fixture throws FileError ("cannot open '.../tests/data/NAME': ..."), which fails the test.
inline Bytes read_fixture(const std::string& name) { return read_file(std::string(ZGEN_TEST_DATA) + "/" + name); }

// n pseudo-random bytes, the same for the same seed (mt19937_64, low byte of each draw).
inline Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// A model from its SPEC on one thread: tests run two at a time on two cores, so no thread team
// per step.
inline std::unique_ptr<Predictor> make_single_threaded(const std::string& spec) {
  PredictorOptions o;
  o.threads = 1;
  return make_predictor(spec, o);
}

// The message of the UserError that f throws, or "<no UserError>".
template <class F>
std::string user_error_of(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "<no UserError>";
}

}  // namespace zgen::test
