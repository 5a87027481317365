#include "py_predictor.hpp"

#include <pybind11/numpy.h>

#include <algorithm>
#include <cctype>
#include <bit>
#include <cmath>
#include <limits>
#include <string_view>

#include "zgen/errors.hpp"

namespace py = pybind11;

namespace zgen::python {
namespace {

// Text, digits, a long repeat and the bytes at both ends, so that the probe sees the model on
// the kinds of input it will code. Changing it changes every Python predictor's fingerprint
// (files made before could no longer be decoded): it is part of the file format.
using namespace std::string_view_literals;  // "..."sv keeps the NUL inside the probe
constexpr std::string_view kProbe = "zgen probe: The quick brown fox, 0123456789 \n\t aaaaaaaa\x00\x7f\x80\xff"sv;
constexpr std::string_view kProbeContext = "Language modeling is compression. "sv;

void fnv1a(std::uint64_t& h, std::uint64_t word) {
  for (int i = 0; i < 8; ++i) {
    h ^= (word >> (8 * i)) & 0xff;
    h *= 0x100000001b3ULL;
  }
}

}  // namespace

PythonPredictor::PythonPredictor(py::object object, std::string name) : object_(std::move(object)), name_(std::move(name)) {
  if (name_.empty() || std::any_of(name_.begin(), name_.end(), [](char c) { return c == '+' || std::isspace(static_cast<unsigned char>(c)); }))
    throw InvalidParameter("name", "a Predictor's {} must be non-empty, without '+' or whitespace (got '" + literal(name_) + "')");
}

// The object is released with the GIL held, from whichever thread drops the predictor.
PythonPredictor::~PythonPredictor() {
  py::gil_scoped_acquire gil;
  object_ = py::object();
}

void PythonPredictor::reset(ByteView context) {
  py::gil_scoped_acquire gil;
  object_.attr("reset")(py::bytes(reinterpret_cast<const char*>(context.data()), context.size()));
}

void PythonPredictor::observe(std::uint8_t byte) {
  py::gil_scoped_acquire gil;
  object_.attr("observe")(static_cast<int>(byte));
}

void PythonPredictor::log_probs(std::span<double, 256> out) {
  {
    py::gil_scoped_acquire gil;
    const py::object result = object_.attr("log_probs")();
    // Any array-like of 256 numbers: numpy arrays, lists, a torch tensor's .numpy().
    const auto values = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(result);
    if (!values || values.size() != 256)
      throw InvalidParameter("log_probs", "a Predictor's {}() must return 256 numbers (got " +
                                              (values ? std::to_string(values.size()) : std::string("no array")) + ")");
    const double* v = values.data();
    std::copy(v, v + 256, out.begin());
  }
  double top = -std::numeric_limits<double>::infinity();
  for (double x : out) {
    if (std::isnan(x) || x == std::numeric_limits<double>::infinity())
      throw InvalidParameter("log_probs", "a Predictor's {}() returned NaN or +inf");
    top = std::max(top, x);
  }
  if (!std::isfinite(top)) throw InvalidParameter("log_probs", "a Predictor's {}() gave every byte probability 0");
  double sum = 0;
  for (double x : out) sum += std::exp(x - top);
  const double log_total = top + std::log(sum);
  for (double& x : out) x -= log_total;
}

std::uint64_t PythonPredictor::parameters_hash() const {
  // Logically const: the fingerprint is a property of the object's code, cached once computed.
  return const_cast<PythonPredictor*>(this)->fingerprint();
}

std::uint64_t PythonPredictor::fingerprint() {
  if (fingerprint_) return *fingerprint_;
  std::uint64_t h = 0xcbf29ce484222325ULL;
  double lp[256];
  reset({});
  for (char c : kProbe) {
    log_probs(std::span<double, 256>(lp));
    for (double x : lp) fnv1a(h, std::bit_cast<std::uint64_t>(x));
    observe(static_cast<std::uint8_t>(c));
  }
  reset(as_bytes(std::string(kProbeContext)));
  log_probs(std::span<double, 256>(lp));
  for (double x : lp) fnv1a(h, std::bit_cast<std::uint64_t>(x));
  fingerprint_ = h;
  return h;
}

}  // namespace zgen::python
