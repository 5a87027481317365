// _zgen: the native half of the zgen package (python/zgen/__init__.py is the other), built on
// the public C++ API (include/zgen/) only.
#include <pybind11/pybind11.h>

#include "coding.hpp"
#include "errors.hpp"
#include "model.hpp"
#include "zgen/corpus.hpp"
#include "zgen/version.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_zgen, m) {
  m.doc() = "zgen's native module; use the zgen package.";
  zgen::python::register_errors(m);
  zgen::python::register_model(m);
  zgen::python::register_coding(m);
  zgen::python::register_bench(m);
  m.def("default_corpus", [] {
    const zgen::ByteView c = zgen::default_corpus();
    return py::bytes(reinterpret_cast<const char*>(c.data()), c.size());
  });
  m.attr("default_corpus_name") = zgen::kDefaultCorpusName;
  m.attr("__version__") = ZGEN_VERSION;
}
