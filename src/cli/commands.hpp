#pragma once
// One function per `zgen` subcommand; each parses its own options (Boost.ProgramOptions)
// and returns the process exit code. UserError escapes to main, which prints it and exits 2.
namespace zgen::cli {

int run_sample(int argc, char** argv);
int run_score(int argc, char** argv);
int run_compare(int argc, char** argv);
int run_judge(int argc, char** argv);
int run_compress(int argc, char** argv);
int run_decompress(int argc, char** argv);
int run_train(int argc, char** argv);
int run_bench(int argc, char** argv);
int run_complete_image(int argc, char** argv);
int run_sample_patches(int argc, char** argv);

}  // namespace zgen::cli
