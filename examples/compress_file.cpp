// Compress a file with a model driving the arithmetic coder, decompress it, and check that every
// byte came back, with the library rather than the CLI.
//
//   compress_file FILE [SPEC]        (SPEC: ppm:6 by default; any model SPEC works)
//
// The .zgen bytes are the ones `zgen compress --model SPEC FILE` writes, so `zgen decompress`
// reads them too.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include <zgen/zgen.hpp>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: compress_file FILE [SPEC]\n");
    return 2;
  }
  const std::string spec = argc > 2 ? argv[2] : "ppm:6";
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 2;
  }
  const zgen::Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  try {
    const auto model = zgen::make_predictor(spec);
    // 2048-byte chunks, each coded on its own (the paper's protocol).
    const zgen::CompressResult packed = zgen::compress_to_container(*model, spec, data, 2048);
    // Decoding rebuilds the model named inside the file.
    const zgen::Bytes restored =
        zgen::decompress_container(packed.file, [](const std::string& named) { return zgen::make_predictor(named); });
    if (restored != data) {
      std::fprintf(stderr, "round trip failed\n");
      return 1;
    }
    std::printf("%s: %zu -> %zu bytes (%.2f%%), ideal %.0f bytes; decoded exactly\n", spec.c_str(), data.size(),
                packed.file.size(), data.empty() ? 0.0 : 100.0 * packed.file.size() / data.size(),
                packed.encoded.ideal_bits / 8);
  } catch (const zgen::UserError& e) {
    std::fprintf(stderr, "compress_file: %s\n", e.what());
    return 2;
  }
  return 0;
}
