#pragma once
// A one-line progress report on stderr for long work: count, rate and ETA, redrawn at most
// a few times a second, only when stderr is a terminal (logs stay clean otherwise).
#include <chrono>
#include <cstddef>
#include <string>

namespace zgen::cli {

class Progress {
 public:
  // live: redraw the count while working (off when the work's own output shares the terminal,
  // as `zgen sample`'s text does: a redraw would overwrite the text's last line).
  Progress(std::string what, std::size_t total, bool quiet, bool live = true);
  void advance(std::size_t n);
  // Prints the final rate (always, unless quiet).
  void finish();
  double seconds() const;

 private:
  void draw(bool final);
  std::string what_;
  std::size_t total_, done_ = 0;
  bool quiet_, live_, tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace zgen::cli
