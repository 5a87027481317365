// Generate text from gzip, with the library rather than the CLI.
//
//   generate_from_gzip [CONTEXT_FILE|-] [LENGTH] [SEED]     (- : the built-in corpus)
//
// gzip level 9 becomes a next-byte model: for each candidate byte x after the context c,
// p(x | c) ∝ 2^(−(ℓ(c·x) − ℓ(c))), with ℓ the exact deflate code length in bits.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include <zgen/zgen.hpp>

int main(int argc, char** argv) {
  zgen::Bytes context;
  if (argc > 1 && argv[1][0] != '\0' && std::string(argv[1]) != "-") {
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot open %s\n", argv[1]);
      return 2;
    }
    context.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    const zgen::ByteView corpus = zgen::default_corpus();
    context.assign(corpus.begin(), corpus.end());
  }
  const std::size_t length = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 200;
  const std::uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;

  zgen::PredictorOptions options;
  options.alphabet = "context";  // propose only bytes that occur in the context
  options.threads = 2;
  auto gzip = zgen::make_predictor("gzip:9", options);
  gzip->reset(context);

  zgen::SamplerParams params;
  params.temperature = 1.0;
  params.seed = seed;
  zgen::SamplerChain chain = zgen::make_chain(params);

  zgen::GenerationOptions generation;
  generation.length = length;
  const zgen::Bytes text = zgen::generate(*gzip, chain, generation);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}
