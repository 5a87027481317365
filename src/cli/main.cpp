// zgen: compressors as generative models, models as compressors.
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>

#include "src/cli/commands.hpp"
#include "src/cli/processes.hpp"
#include "src/parallel/world.hpp"
#include "zgen/errors.hpp"
#include "zgen/version.hpp"

namespace {

struct Subcommand {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
  bool several_processes = false;  // runs under `mpirun -np N` (src/parallel/)
};

constexpr Subcommand kSubcommands[] = {
    {"sample", zgen::cli::run_sample, "generate bytes from a compressor or model (default: gzip on a built-in corpus)"},
    {"score", zgen::cli::run_score, "bits per byte of a model on data, beside the compressor's own size", true},
    {"compare", zgen::cli::run_compare, "score several models on the same data and sample from each"},
    {"judge", zgen::cli::run_judge, "how good are the samples: several seeds judged beside real text (bits/byte, order gain, copies)"},
    {"compress", zgen::cli::run_compress, "compress with any model driving an arithmetic coder (.zgen file)", true},
    {"decompress", zgen::cli::run_decompress, "restore a .zgen file (the model is named inside it)", true},
    {"train", zgen::cli::run_train, "train the byte-level transformer on text, image patches or audio (safetensors)", true},
    {"bench", zgen::cli::run_bench, "the paper's Table 1 on your text, images and audio (compression rates)", true},
    {"complete-image", zgen::cli::run_complete_image, "complete a photo's hidden pixels with each model (PNG grid)"},
    {"sample-patches", zgen::cli::run_sample_patches, "sample 64x32 image patches from a model (PNG grid)"},
};

void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: zgen <command> [options]   (zgen <command> --help for its options)\n\ncommands:\n");
  for (const auto& s : kSubcommands) std::fprintf(out, "  %-15s %s\n", s.name, s.summary);
  std::fprintf(out, "\nWith no command, `zgen` runs `zgen sample`.\n");
}

int run_command(int argc, char** argv) {
  try {
    if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
      print_usage(stdout);
      return 0;
    }
    if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
      std::printf("zgen %s\n", ZGEN_VERSION);
      return 0;
    }
    const bool implicit_sample = argc < 2 || argv[1][0] == '-';  // `zgen [options]` is `zgen sample [options]`
    const Subcommand* command = implicit_sample ? &kSubcommands[0] : nullptr;
    for (const auto& s : kSubcommands)
      if (!implicit_sample && std::strcmp(argv[1], s.name) == 0) command = &s;
    zgen::cli::on_every_process([&] {
      if (!command) throw zgen::UserError(std::string("unknown command '") + argv[1] + "' (try zgen --help)");
      if (!command->several_processes && !zgen::parallel::world().alone())
        throw zgen::UserError(std::string(command->name) + " runs on one process: run it without mpirun" +
                              " (train, bench, compress, decompress and score run on several)");
    });
    return implicit_sample ? command->run(argc, argv) : command->run(argc - 1, argv + 1);
  } catch (...) {
    return zgen::cli::report_failure(std::current_exception());
  }
}

}  // namespace

int main(int argc, char** argv) {
  // MPI starts only under mpirun or srun; it ends when the session does, after the command.
  std::optional<zgen::parallel::Session> session;
  try {
    session.emplace(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zgen: %s\n", e.what());
    return 2;
  }
  return run_command(argc, argv);
}
