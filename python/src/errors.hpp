#pragma once
// zgen's errors as Python exceptions, and the helpers that let a long call release the GIL yet
// stop on Ctrl-C.
#include <pybind11/pybind11.h>

namespace zgen::python {

// Registers zgen.FormatError and zgen.ModelMismatch (both ValueError) on `module` and the
// translator that maps, by zgen's error kinds (include/zgen/errors.hpp):
//   FileError → FileNotFoundError, FormatError → zgen.FormatError,
//   ModelMismatch → zgen.ModelMismatch, any other UserError → ValueError,
// each with zgen's one-line message (parameters named by their Python keyword).
void register_errors(pybind11::module_& module);

// Raises KeyboardInterrupt (as a C++ exception that unwinds zgen's loop and becomes the Python
// exception again at the boundary) when a signal arrived since the last check. Callable from a
// thread that does not hold the GIL (it takes it for the check).
void check_signals();

}  // namespace zgen::python
