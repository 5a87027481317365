// bench_ppm: the ppm:N context-mixing model's three versions against the classic
// compressors, on the same bytes in the same run.
//
//   bench_ppm [FILE] [ORDER] [--max-bytes N] [--rounds R] [--no-zpaq]
//
// FILE defaults to /work/shared/data/text/sotu-valid.txt, ORDER to 6, R to 3. For ppm:ORDER,
// ppm2:ORDER and ppm3:ORDER (ppm.hpp), unchunked and in 2048-byte chunks (model reset per
// chunk, the paper's protocol): the ideal code length, Σ −log2 p(bit) through the coding
// path, as % of the raw size (what the arithmetic coder's output approaches within a
// fraction of a percent: src/coding/arithmetic_coder.*); and the speed of coding with the
// real coder, as `zgen compress` and `decompress` code a frame (encode_frame, decode_frame;
// the decoded bytes are checked), in MB/s (10^6 bytes) of input per second of wall time,
// priming not counted (once per process: BENCHMARKS.md). The versions run in turn in each
// of R rounds (this machine's speed drifts within minutes); each speed is the median of the
// rounds, with its ratio to ppm:ORDER's. Then zlib -9, xz -9, zstd -19, bzip2 -9 and
// brotli -11 through their libraries; and, if `zpaq` is on PATH, zpaq -method 5 unchunked
// (its archive size includes a few dozen bytes of headers).
#include <brotli/encode.h>
#include <bzlib.h>
#include <lzma.h>
#include <zlib.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
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

#include "src/coding/stream_coding.hpp"
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

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One model's ideal code lengths and, per round, its seconds.
struct PpmResult {
  double bits = 0, chunked_bits = 0;
  std::vector<double> compress, decompress, chunked;
};

// One round: the whole input compressed and decompressed as one frame, then compressed in
// 2048-byte frames, each from the model's reset state, as zgen compress codes them.
void code_round(zgen::Predictor& model, const Bytes& data, PpmResult& r) {
  Bytes stream, out;
  auto t0 = Clock::now();
  r.bits = zgen::encode_frame(model, zgen::CodingMode::bits, data, true, stream);
  r.compress.push_back(seconds_since(t0));
  t0 = Clock::now();
  zgen::decode_frame(model, zgen::CodingMode::bits, stream, data.size(), true, out);
  r.decompress.push_back(seconds_since(t0));
  if (out != data) throw std::runtime_error(model.name() + ": the decoded bytes differ from the input");
  t0 = Clock::now();
  r.chunked_bits = 0;
  for (std::size_t at = 0; at < data.size(); at += 2048) {
    const zgen::ByteView piece(data.data() + at, std::min<std::size_t>(2048, data.size() - at));
    r.chunked_bits += zgen::encode_frame(model, zgen::CodingMode::bits, piece, true, stream);
  }
  r.chunked.push_back(seconds_since(t0));
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
  int order = 6, rounds = 3;
  std::size_t max_bytes = 0;
  bool with_zpaq = true;
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--max-bytes" && i + 1 < argc) max_bytes = std::stoull(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, std::stoi(argv[++i]));
    else if (a == "--no-zpaq") with_zpaq = false;
    else if (positional == 0) path = a, ++positional;
    else if (positional == 1) order = std::stoi(a), ++positional;
    else {
      std::cerr << "usage: bench_ppm [FILE] [ORDER] [--max-bytes N] [--rounds R] [--no-zpaq]\n";
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
  // The three versions of the model, in turn on the same bytes in each round.
  std::unique_ptr<zgen::Predictor> models[] = {zgen::make_context_mixing(order), zgen::make_lean_context_mixing(order),
                                               zgen::make_fast_context_mixing(order)};
  std::vector<PpmResult> results(std::size(models));
  for (int round = 0; round < rounds; ++round) {
    std::fprintf(stderr, "bench_ppm: round %d of %d\n", round + 1, rounds);
    for (std::size_t m = 0; m < std::size(models); ++m) code_round(*models[m], data, results[m]);
  }
  std::printf("%-22s %12s %12s   %s\n", "model", "unchunked %", "2048-chunk %",
              "MB/s, median of the rounds (× the first model's): compress, decompress, 2048-byte chunks");
  const PpmResult& base = results[0];
  const auto speed = [&](const std::vector<double>& s, const std::vector<double>& base_s) {
    char text[64];
    std::snprintf(text, sizeof text, "%.2f (%.2f×)", raw / 1e6 / median(s), median(base_s) / median(s));
    return std::string(text);
  };
  for (std::size_t m = 0; m < std::size(models); ++m) {
    const PpmResult& r = results[m];
    std::printf("%-22s %12.2f %12.2f   %s, %s, %s\n", models[m]->name().c_str(), 100 * r.bits / 8 / raw,
                100 * r.chunked_bits / 8 / raw, speed(r.compress, base.compress).c_str(),
                speed(r.decompress, base.decompress).c_str(), speed(r.chunked, base.chunked).c_str());
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
      std::printf("%-22s %12.2f %12s   (archive size; %.2f MB/s)\n", "zpaq -method 5", 100 * z / raw, "-",
                  raw / 1e6 / seconds);
    else
      std::printf("%-22s %12s\n", "zpaq -method 5", "(not run: zpaq not found or failed)");
  }
  return 0;
}
