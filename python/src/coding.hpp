#pragma once
// zgen.compress / zgen.decompress: the .zgen container of `zgen compress`, so that files move
// between Python and the CLI; and zgen.bench: the Table-1 measurements as plain rows.
#include <pybind11/pybind11.h>

namespace zgen::python {

void register_coding(pybind11::module_& module);
void register_bench(pybind11::module_& module);

}  // namespace zgen::python
