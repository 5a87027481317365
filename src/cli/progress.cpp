#include "src/cli/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace zgen::cli {

Progress::Progress(std::string what, std::size_t total, bool quiet, bool live)
    : what_(std::move(what)), total_(total), quiet_(quiet), live_(live), tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(std::size_t n) {
  done_ += n;
  const auto now = std::chrono::steady_clock::now();
  if (tty_ && live_ && !quiet_ && now - last_draw_ > std::chrono::milliseconds(250)) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::draw(bool final) {
  const double s = seconds();
  const double rate = s > 0 ? done_ / s : 0;
  const double eta = rate > 0 && total_ > done_ ? (total_ - done_) / rate : 0;
  if (final)
    std::fprintf(stderr, "%s%s %zu bytes in %.2f s (%.1f bytes/s)\n", tty_ ? "\r\033[K" : "", what_.c_str(), done_, s, rate);
  else
    std::fprintf(stderr, "\r\033[K%s %zu/%zu bytes, %.1f bytes/s, ETA %.0f s", what_.c_str(), done_, total_, rate, eta);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!quiet_) draw(true);
}

}  // namespace zgen::cli
