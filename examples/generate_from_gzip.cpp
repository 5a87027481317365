// Generate text from gzip, with the library rather than the CLI.
//
//   generate_from_gzip [CONTEXT_FILE|-] [LENGTH] [SEED]     (- : the built-in corpus)
//
// gzip level 9 becomes a model: each candidate continuation x of the context c costs
// Δℓ(x) = ℓ(c·x) − ℓ(c) bits, ℓ the exact deflate code length. The span method (zgen sample's
// default) offers the context's own words and short phrases as candidates, draws one from
// their costs and never copies 16 bytes of the context; GenerationMethod::kBytes is the
// paper's method, one byte at a time with p(x | c) ∝ 2^(−Δℓ(x)).
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

  zgen::SamplerParams params;
  params.temperature = 1.0;
  params.seed = seed;
  zgen::GenerationOptions generation;
  generation.length = length;
  generation.method = zgen::GenerationMethod::kSpans;
  zgen::SamplerChain chain = zgen::make_generation_chain(params, generation);
  const zgen::Bytes text = zgen::generate_after(*gzip, chain, context, generation);  // conditions on context
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}
