#pragma once
// SPEC strings: "gzip:9", "zstd:19", "xz:9", "bzip2:9", "brotli:11", "cmd:xz -9 -c".
#include <memory>
#include <string>
#include <vector>

#include "zgen/compressor.hpp"

namespace zgen {

// Parses a compressor SPEC; throws UserError naming the problem for an unknown family,
// a malformed or out-of-range level.
std::unique_ptr<Compressor> make_compressor(const std::string& spec);
// The same, with the seconds a cmd: compressor may run before it is killed (default 30).
std::unique_ptr<Compressor> make_compressor(const std::string& spec, double command_timeout_seconds);

// The families that make_compressor knows, for --help and error messages.
std::vector<std::string> compressor_families();

}  // namespace zgen
