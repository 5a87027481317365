#pragma once
// A one-line progress report on stderr for long work: count, rate and ETA, redrawn at most
// a few times a second, only when stderr is a terminal (logs stay clean otherwise).
#include <chrono>
#include <cstddef>
#include <string>

namespace zgen::cli {

class Progress {
 public:
  Progress(std::string what, std::size_t total, bool quiet);
  void advance(std::size_t n);
  // Prints the final rate (always, unless quiet).
  void finish();
  double seconds() const;

 private:
  void draw(bool final);
  std::string what_;
  std::size_t total_, done_ = 0;
  bool quiet_, tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace zgen::cli
