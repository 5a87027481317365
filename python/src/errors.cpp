#include "errors.hpp"

#include <string>

#include "zgen/errors.hpp"

namespace py = pybind11;

namespace zgen::python {
namespace {

// The library names parameters by their field names ("top_k"); the keywords of the Python API
// are the same names but for these.
std::string keyword_for(const std::string& parameter) {
  if (parameter == "model_override") return "model";
  return parameter;
}

}  // namespace

void register_errors(py::module_& m) {
  // Created once and never destroyed: a static's destructor would run after the interpreter
  // is gone.
  static auto& format_error = *new py::exception<FormatError>(m, "FormatError", PyExc_ValueError);
  static auto& model_mismatch = *new py::exception<ModelMismatch>(m, "ModelMismatch", PyExc_ValueError);
  format_error.doc() = "A .zgen container (or checkpoint) that is truncated, corrupt or of an unknown version.";
  model_mismatch.doc() =
      "Data coded with one model and decoded with another (or the same one computing differently): refused, "
      "never mis-decoded.";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const FileError& e) {
      PyErr_SetString(PyExc_FileNotFoundError, e.worded(keyword_for).c_str());
    } catch (const FormatError& e) {
      PyErr_SetString(format_error.ptr(), e.worded(keyword_for).c_str());
    } catch (const ModelMismatch& e) {
      PyErr_SetString(model_mismatch.ptr(), e.worded(keyword_for).c_str());
    } catch (const UserError& e) {
      PyErr_SetString(PyExc_ValueError, e.worded(keyword_for).c_str());
    }
  });
}

void check_signals() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

}  // namespace zgen::python
