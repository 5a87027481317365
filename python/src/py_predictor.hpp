#pragma once
// A Python object as a zgen::Predictor: any model written in Python (numpy, PyTorch, JAX) drives
// zgen's coder, container and samplers through the object's reset(context: bytes),
// observe(byte: int) and log_probs() -> 256 numbers.
//
// The object's outputs are taken as logits and normalised here (a log-softmax in float64), so
// that the coder always sees a distribution that sums to 1; NaN, +inf or all -inf is refused
// (ValueError). Each call takes the GIL, so the coder's loop itself runs without it.
//
// Identity in a .zgen container: the SPEC "python:NAME" and, as parameters_hash(), a
// fingerprint of the object's normalised outputs, bit for bit, on a fixed probe (fingerprint()).
// A decoder whose predictor computes anything differently on the probe is refused before any
// byte is decoded. The probe cannot see every difference (a model that differs only on other
// inputs), and the container's CRC-32 catches what it misses: never a silently wrong file.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>

#include "zgen/predictor.hpp"

namespace zgen::python {

inline constexpr const char* kPythonSpecPrefix = "python:";

class PythonPredictor final : public Predictor {
 public:
  // `object` has reset, observe and log_probs; `name` goes into the SPEC (non-empty, no '+' or
  // whitespace: ValueError otherwise).
  PythonPredictor(pybind11::object object, std::string name);
  ~PythonPredictor() override;

  std::string name() const override { return kPythonSpecPrefix + name_; }
  void reset(ByteView context) override;
  void observe(std::uint8_t byte) override;
  void log_probs(std::span<double, 256> out) override;
  // The fingerprint (computed on first use, which resets the object).
  std::uint64_t parameters_hash() const override;

  // Runs the probe: reset(b""), then for each probe byte log_probs and observe, then
  // reset(a short context) and log_probs once more; FNV-1a over the bits of every output.
  std::uint64_t fingerprint();
  // Forgets the cached fingerprint: the object may have changed since (each compress and
  // decompress call starts with this).
  void forget_fingerprint() { fingerprint_.reset(); }

 private:
  pybind11::object object_;
  std::string name_;
  std::optional<std::uint64_t> fingerprint_;
};

}  // namespace zgen::python
