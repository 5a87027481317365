#pragma once
// One line on stderr, once, when a compressor model will take long to score or sample here,
// naming what to pick instead: the family's fast definition where zgen has one (zstd:L →
// zstd-dict:L, xz:P → xz-dict:P; see the README's "Code lengths, per family"), else a shorter
// --max-context. Printed whether or not stderr is a terminal (it is advice, not a redraw).
#include <chrono>
#include <cstddef>
#include <string>

namespace zgen::cli {

// The SPEC that prices continuations of `spec` faster (another definition), or "" for none.
std::string faster_spec(const std::string& spec);

class SlowModelNotice {
 public:
  // `what`: "scoring" or "sampling"; `total`: the bytes the work will cover.
  SlowModelNotice(std::string spec, std::string what, std::size_t total, bool quiet);
  void advance(std::size_t n);

 private:
  std::string spec_, what_;
  std::size_t total_, done_ = 0;
  bool quiet_, said_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace zgen::cli
