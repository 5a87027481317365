#pragma once
// One factory per compressor family; compressors/registry.cpp maps SPECs onto them.
// Levels are checked by the caller (the registry) against the ranges below.
#include <memory>
#include <string>

#include "zgen/compressor.hpp"

namespace zgen {

std::unique_ptr<Compressor> make_gzip(int level);     // 1..9, zlib deflate in a gzip container
std::unique_ptr<Compressor> make_zstd(int level);     // 1..22
// zstd:L with the context as a dictionary (a new definition of ℓ(x | c); see zstd_dict.cpp).
std::unique_ptr<Compressor> make_zstd_dict(int level);  // 1..22
std::unique_ptr<Compressor> make_xz(int preset);      // 0..9, liblzma, .xz container
// xz:P with the context as a preset dictionary (a new definition of ℓ(x | c); see xz_dict.cpp).
std::unique_ptr<Compressor> make_xz_dict(int preset);  // 0..9
std::unique_ptr<Compressor> make_bzip2(int level);    // 1..9
std::unique_ptr<Compressor> make_brotli(int quality); // 0..11
// brotli:Q with the context compressed once as the stream's history (see brotli_dict.cpp).
std::unique_ptr<Compressor> make_brotli_dict(int quality);  // 0..11
// No level: each is fixed at its format's maximum effort (see the .cpp files).
std::unique_ptr<Compressor> make_png();   // 8-bit grayscale PNG, 64 wide, libpng/zlib level 9
std::unique_ptr<Compressor> make_flac();  // 8-bit mono FLAC, libFLAC level 8
// Any program that reads stdin and writes stdout; run through /bin/sh -c.
std::unique_ptr<Compressor> make_command(const std::string& command, double timeout_seconds);

}  // namespace zgen
