// bench_ppm: the ppm:N context-mixing model against the classic compressors, on the
// same bytes in the same run.
//
//   bench_ppm [FILE] [ORDER] [--max-bytes N] [--no-zpaq]
//
// FILE defaults to /work/shared/data/text/sotu-valid.txt, ORDER to 6. Prints, unchunked
// and in 2048-byte chunks (model reset per chunk, the paper's protocol): the ideal code
// length of ppm:ORDER and of ppm2:ORDER (version 2, lean_model.hpp), Σ −log2 p(bit) through
// the binary (coding) path as % of the raw size, and the speed (priming not counted); zlib -9, xz -9, zstd -19, bzip2 -9 and brotli -11 through their libraries; and,
// if `zpaq` is on PATH, zpaq -method 5 unchunked (its archive size includes a few dozen
// bytes of headers). The ideal length is what an arithmetic coder approaches within a
// fraction of a percent (see src/coding/arithmetic_coder.*).
#include <brotli/encode.h>
#include <bzlib.h>
#include <lzma.h>
#include <zlib.h>
#include <unistd.h>
#include <zstd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "src/models/ppm/ppm.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

std::size_t zlib_size(const Bytes& in) {
  uLongf n = compressBound(in.size());
  Bytes out(n);
  if (compress2(out.data(), &n, in.data(), in.size(), 9) != Z_OK) throw std::runtime_error("zlib failed");
  return n;
}
std::size_t xz_size(const Bytes& in) {
  Bytes out(lzma_stream_buffer_bound(in.size()));
  std::size_t pos = 0;
  if (lzma_easy_buffer_encode(9, LZMA_CHECK_CRC64, nullptr, in.data(), in.size(), out.data(), &pos, out.size()) !=
      LZMA_OK)
    throw std::runtime_error("xz failed");
  return pos;
}
std::size_t zstd_size(const Bytes& in) {
  Bytes out(ZSTD_compressBound(in.size()));
  const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 19);
  if (ZSTD_isError(n)) throw std::runtime_error("zstd failed");
  return n;
}
std::size_t bzip2_size(const Bytes& in) {
  unsigned n = static_cast<unsigned>(in.size() + in.size() / 100 + 600);
  Bytes out(n);
  if (BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out.data()), &n,
                               const_cast<char*>(reinterpret_cast<const char*>(in.data())),
                               static_cast<unsigned>(in.size()), 9, 0, 0) != BZ_OK)
    throw std::runtime_error("bzip2 failed");
  return n;
}
std::size_t brotli_size(const Bytes& in) {
  std::size_t n = BrotliEncoderMaxCompressedSize(in.size());
  Bytes out(n);
  if (!BrotliEncoderCompress(11, 24, BROTLI_MODE_GENERIC, in.size(), in.data(), &n, out.data()))
    throw std::runtime_error("brotli failed");
  return n;
}

// Sum of a per-chunk size over consecutive chunks (chunk 0: the whole input).
double chunked(const Bytes& data, std::size_t chunk, const std::function<double(const Bytes&)>& size) {
  if (chunk == 0) return size(data);
  double total = 0;
  for (std::size_t at = 0; at < data.size(); at += chunk) {
    const Bytes piece(data.begin() + at, data.begin() + std::min(data.size(), at + chunk));
    total += size(piece);
  }
  return total;
}

struct PpmResult {
  double bits = 0, seconds = 0;
};

// Ideal code length through the coding path: 8 binary predictions per byte.
PpmResult ppm_bits(zgen::Predictor& model, const Bytes& data, std::size_t chunk) {
  zgen::BinaryPredictor* bin = model.as_binary();
  PpmResult r;
  const auto t0 = Clock::now();
  model.reset({});
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (chunk && i % chunk == 0 && i) model.reset({});
    const int byte = data[i];
    for (int b = 7; b >= 0; --b) {
      const int bit = (byte >> b) & 1;
      const double p = bin->p1() / 65536.0;
      r.bits -= std::log2(bit ? p : 1 - p);
      bin->update_bit(bit);
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

// zpaq -method 5 on the whole file (archive size), or -1 when zpaq is not available.
double zpaq_bytes(const Bytes& data, double& seconds) {
  if (std::system("command -v zpaq >/dev/null 2>&1") != 0) return -1;
  const auto dir = std::filesystem::temp_directory_path() / ("bench_ppm_zpaq_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto in = dir / "input", archive = dir / "out.zpaq";
  std::ofstream(in, std::ios::binary).write(reinterpret_cast<const char*>(data.data()), data.size());
  const auto t0 = Clock::now();
  const std::string cmd = "cd '" + dir.string() + "' && zpaq a out.zpaq input -method 5 >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double size = rc == 0 ? static_cast<double>(std::filesystem::file_size(archive)) : -1;
  std::filesystem::remove_all(dir);
  return size;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = "/work/shared/data/text/sotu-valid.txt";
  int order = 6;
  std::size_t max_bytes = 0;
  bool with_zpaq = true;
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--max-bytes" && i + 1 < argc) max_bytes = std::stoull(argv[++i]);
    else if (a == "--no-zpaq") with_zpaq = false;
    else if (positional == 0) path = a, ++positional;
    else if (positional == 1) order = std::stoi(a), ++positional;
    else {
      std::cerr << "usage: bench_ppm [FILE] [ORDER] [--max-bytes N] [--no-zpaq]\n";
      return 2;
    }
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::cerr << "bench_ppm: cannot read " << path << "\n";
    return 2;
  }
  Bytes data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (max_bytes && data.size() > max_bytes) data.resize(max_bytes);
  if (data.empty()) {
    std::cerr << "bench_ppm: " << path << " is empty\n";
    return 2;
  }
  const double raw = static_cast<double>(data.size());
  std::printf("file %s, %zu bytes\n\n", path.c_str(), data.size());
  std::printf("%-22s %12s %12s\n", "model", "unchunked %", "2048-chunk %");

  // Both versions of the model: ppm:N and ppm2:N (built for speed), in turn on the same bytes.
  std::unique_ptr<zgen::Predictor> models[] = {zgen::make_context_mixing(order), zgen::make_lean_context_mixing(order)};
  for (auto& model : models) {
    const PpmResult whole = ppm_bits(*model, data, 0);
    const PpmResult parts = ppm_bits(*model, data, 2048);
    std::printf("%-22s %12.2f %12.2f   (ideal code length; %.0f KB/s unchunked, %.0f KB/s chunked)\n",
                model->name().c_str(), 100 * whole.bits / 8 / raw, 100 * parts.bits / 8 / raw,
                raw / 1024 / whole.seconds, raw / 1024 / parts.seconds);
  }

  const struct {
    const char* name;
    std::size_t (*size)(const Bytes&);
  } baselines[] = {{"zlib -9", zlib_size},     {"xz -9", xz_size},         {"zstd -19", zstd_size},
                   {"bzip2 -9", bzip2_size},   {"brotli -11", brotli_size}};
  for (const auto& b : baselines) {
    const auto fn = [&](const Bytes& d) { return static_cast<double>(b.size(d)); };
    std::printf("%-22s %12.2f %12.2f\n", b.name, 100 * chunked(data, 0, fn) / raw,
                100 * chunked(data, 2048, fn) / raw);
  }
  if (with_zpaq) {
    double seconds = 0;
    const double z = zpaq_bytes(data, seconds);
    if (z > 0)
      std::printf("%-22s %12.2f %12s   (archive size; %.0f KB/s)\n", "zpaq -method 5", 100 * z / raw, "-",
                  raw / 1024 / seconds);
    else
      std::printf("%-22s %12s\n", "zpaq -method 5", "(not run: zpaq not found or failed)");
  }
  return 0;
}
