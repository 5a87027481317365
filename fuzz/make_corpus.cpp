// Writes the seed corpus for fuzz_container into the folder given as argv[1]: valid .zgen
// files for each test model, coding path and chunking, plus damaged variants.
// Built and run by `scripts/fuzz.sh --make-corpus`.
#include <fstream>
#include <string>

#include "tests/coder_test_models.hpp"
#include "zgen/coding.hpp"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  int n = 0;
  const auto save = [&](const zgen::Bytes& b) {
    std::ofstream(dir + "/seed-" + std::to_string(n++), std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  };
  const std::string texts[] = {"", "a", "hello, hello, hello world",
                               "It was the best of times, it was the worst of times, it was the age of wisdom.",
                               std::string(300, 'z'), std::string("\x00\x01\x02\xff\xfe\x80\x7f", 7)};
  for (const char* spec : {"test-order0", "test-bits0", "test-bits-extreme"})
    for (const std::string& text : texts)
      for (std::uint64_t chunk : {0, 16}) {
        const auto model = zgen::test::make_test_predictor(spec);
        const zgen::Bytes file = zgen::compress_to_container(*model, spec, zgen::as_bytes(text), chunk).file;
        save(file);
        if (text.size() > 20 && chunk == 16) {
          zgen::Bytes cut(file.begin(), file.end() - 5);
          save(cut);
          zgen::Bytes flipped = file;
          flipped[flipped.size() - 7] ^= 0x10;
          save(flipped);
        }
      }
  return 0;
}
