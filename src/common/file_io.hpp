#pragma once
// Writing files so that a reader never sees half of one.
#include <string>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"

namespace zgen {

// Writes to a temporary file next to `path`, then renames it over `path`: the file appears
// whole or not at all. Throws UserError naming the file on any failure (and removes the
// temporary file).
void write_file_atomically(const std::string& path, ByteView data);

}  // namespace zgen
