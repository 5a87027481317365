// zgen: compressors as generative models, models as compressors.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include <boost/program_options/errors.hpp>

#include "src/cli/cli_common.hpp"
#include "src/cli/commands.hpp"
#include "zgen/errors.hpp"
#include "zgen/version.hpp"

namespace {

struct Subcommand {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

constexpr Subcommand kSubcommands[] = {
    {"sample", zgen::cli::run_sample, "generate bytes from a compressor or model (default: gzip on a built-in corpus)"},
    {"score", zgen::cli::run_score, "bits per byte of a model on data, beside the compressor's own size"},
    {"compare", zgen::cli::run_compare, "score several models on the same data and sample from each"},
    {"judge", zgen::cli::run_judge, "how good are the samples: several seeds judged beside real text (bits/byte, order gain, copies)"},
    {"compress", zgen::cli::run_compress, "compress with any model driving an arithmetic coder (.zgen file)"},
    {"decompress", zgen::cli::run_decompress, "restore a .zgen file (the model is named inside it)"},
    {"train", zgen::cli::run_train, "train the byte-level transformer on text, image patches or audio (safetensors)"},
    {"bench", zgen::cli::run_bench, "the paper's Table 1 on your text, images and audio (compression rates)"},
    {"complete-image", zgen::cli::run_complete_image, "complete a photo's hidden pixels with each model (PNG grid)"},
    {"sample-patches", zgen::cli::run_sample_patches, "sample 64x32 image patches from a model (PNG grid)"},
};

void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: zgen <command> [options]   (zgen <command> --help for its options)\n\ncommands:\n");
  for (const auto& s : kSubcommands) std::fprintf(out, "  %-15s %s\n", s.name, s.summary);
  std::fprintf(out, "\nWith no command, `zgen` runs `zgen sample`.\n");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
      print_usage(stdout);
      return 0;
    }
    if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
      std::printf("zgen %s\n", ZGEN_VERSION);
      return 0;
    }
    if (argc < 2 || argv[1][0] == '-') return zgen::cli::run_sample(argc, argv);
    for (const auto& s : kSubcommands) {
      if (std::strcmp(argv[1], s.name) == 0) return s.run(argc - 1, argv + 1);
    }
    std::fprintf(stderr, "zgen: unknown command '%s' (try zgen --help)\n", argv[1]);
    return 2;
  } catch (const zgen::UserError& e) {  // the library names its parameters; we name the flags
    std::fprintf(stderr, "zgen: %s\n", e.worded(zgen::cli::flag_for).c_str());
    return 2;
  } catch (const boost::program_options::error& e) {
    std::fprintf(stderr, "zgen: %s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "zgen: out of memory\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zgen: internal error: %s\n", e.what());
    return 3;
  }
}
