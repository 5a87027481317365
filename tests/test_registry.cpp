// SPEC strings: every valid form makes the right compressor, every invalid one is a UserError
// that names the problem.
#include <doctest/doctest.h>

#include "zgen/errors.hpp"
#include "zgen/compressor.hpp"

using namespace zgen;

namespace {

std::string error_of(const std::string& spec) {
  try {
    make_compressor(spec);
  } catch (const UserError& e) {
    return e.what();
  }
  return "<no UserError>";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("valid specs and their canonical names") {
  CHECK(make_compressor("gzip")->name() == "gzip:9");
  CHECK(make_compressor("zstd")->name() == "zstd:19");
  CHECK(make_compressor("xz")->name() == "xz:9");
  CHECK(make_compressor("bzip2")->name() == "bzip2:9");
  CHECK(make_compressor("brotli")->name() == "brotli:11");
  for (int l = 1; l <= 9; ++l) CHECK(make_compressor("gzip:" + std::to_string(l))->name() == "gzip:" + std::to_string(l));
  for (int l = 1; l <= 22; ++l) CHECK(make_compressor("zstd:" + std::to_string(l))->name() == "zstd:" + std::to_string(l));
  for (int l = 0; l <= 9; ++l) CHECK(make_compressor("xz:" + std::to_string(l))->name() == "xz:" + std::to_string(l));
  for (int l = 1; l <= 9; ++l) CHECK(make_compressor("bzip2:" + std::to_string(l))->name() == "bzip2:" + std::to_string(l));
  for (int l = 0; l <= 11; ++l) CHECK(make_compressor("brotli:" + std::to_string(l))->name() == "brotli:" + std::to_string(l));
  CHECK(make_compressor("zstd:007")->name() == "zstd:7");
  CHECK(make_compressor("cmd:xz -9 -c")->name() == "cmd:xz -9 -c");
  CHECK(make_compressor("cmd:\"xz -9 -c\"")->name() == "cmd:xz -9 -c");
  CHECK(make_compressor("cmd:'xz -9 -c'")->name() == "cmd:xz -9 -c");
  CHECK(make_compressor("cmd:gzip -c | wc -c")->name() == "cmd:gzip -c | wc -c");
  CHECK(make_compressor("cmd:zstd --format=xz -c")->name() == "cmd:zstd --format=xz -c");  // ':' and '=' inside
  CHECK(make_compressor("cmd:tr a:b c:d")->name() == "cmd:tr a:b c:d");
  CHECK(make_compressor("cmd:'a' 'b'")->name() == "cmd:a' 'b");  // one outer pair only
  CHECK(make_compressor("cmd:\"xz'")->name() == "cmd:\"xz'");    // unmatched quotes stay
  CHECK(make_compressor("cmd:xz", 2.5)->name() == "cmd:xz");
}

TEST_CASE("the families list") {
  CHECK(compressor_families() == std::vector<std::string>{"gzip", "zstd", "xz", "bzip2", "brotli", "zstd-dict", "xz-dict", "brotli-dict", "png", "flac", "cmd"});
}

TEST_CASE("invalid specs name the problem") {
  CHECK(contains(error_of(""), "empty compressor spec"));
  for (const std::string spec : {"lz4", "lz4:3", "GZIP:9", "gzip9", " gzip", "zlib:6", ":9"}) {
    CAPTURE(spec);
    const std::string e = error_of(spec);
    CHECK(contains(e, "unknown compressor family"));
    CHECK(contains(e, "gzip, zstd, xz, bzip2, brotli, zstd-dict, xz-dict, brotli-dict, png, flac, cmd"));
  }
  for (const std::string spec : {"gzip:x", "gzip:9x", "gzip:nan", "gzip:1e3", "gzip: 9", "gzip:9 ", "gzip:+9",
                                 "gzip:9.0", "gzip:-", "zstd:0x10", "xz:inf", "gzip:9:1"}) {
    CAPTURE(spec);
    const std::string e = error_of(spec);
    CHECK(contains(e, "is not an integer"));
    CHECK(contains(e, "levels are"));
  }
  CHECK(contains(error_of("gzip:"), "missing level"));
  CHECK(contains(error_of("gzip:0"), "out of range (gzip levels are 1..9)"));
  CHECK(contains(error_of("gzip:10"), "out of range (gzip levels are 1..9)"));
  CHECK(contains(error_of("zstd:0"), "out of range (zstd levels are 1..22)"));
  CHECK(contains(error_of("zstd:23"), "out of range (zstd levels are 1..22)"));
  CHECK(contains(error_of("zstd:-5"), "out of range (zstd levels are 1..22)"));
  CHECK(contains(error_of("xz:10"), "out of range (xz levels are 0..9)"));
  CHECK(contains(error_of("bzip2:0"), "out of range (bzip2 levels are 1..9)"));
  CHECK(contains(error_of("brotli:12"), "out of range (brotli levels are 0..11)"));
  CHECK(contains(error_of("brotli:99999999999999999999999"), "out of range"));
  for (const std::string spec : {"cmd", "cmd:", "cmd:''", "cmd:\"\"", "cmd:   ", "cmd:' '"}) {
    CAPTURE(spec);
    CHECK(contains(error_of(spec), "empty command"));
  }
  for (const std::string spec : {"", "lz4", "gzip:x", "gzip:0", "cmd:", "gzip:\n9"}) {
    CAPTURE(spec);
    CHECK(error_of(spec).find('\n') == std::string::npos);
  }
}
