#pragma once
// The generation method's flags (--method and the span method's settings), shared by
// `zgen sample` and the generators of `zgen judge`, so that both mean the same by them.
#include <string>

#include "src/cli/cli_common.hpp"
#include "zgen/sampling.hpp"

namespace zgen::cli {

struct MethodFlags {
  std::string method = "spans";
  long long copy_window = 16, phrase_pieces = 2, vocabulary_bytes = 32768, max_piece = 32, max_pieces = 0;
  double length_bonus = 0.0;
  std::string lengths = "typical";
  long long memory = 4;  // -1: all
  bool copy_self = true;
};

// Adds --method, --copy-window, --length-bonus, --vocabulary-bytes, --max-piece, --max-pieces.
void add_method_options(po::options_description& options, MethodFlags& flags);

// Checks the flags (UserError naming the flag) and writes them into `options`. `horizon` > 1
// asks for the beam over bytes: it goes with --method bytes, which it implies unless --method
// was given (then spans with a horizon is an error).
void apply_method_options(const MethodFlags& flags, const po::variables_map& vm, long long horizon,
                          GenerationOptions& options);

}  // namespace zgen::cli
