#include "src/cli/slow_model.hpp"

#include <algorithm>
#include <cstdio>

#include "zgen/compressor.hpp"

namespace zgen::cli {
namespace {

// Work projected to take longer than this earns the notice; measured over at least kMeasure
// seconds, so that conditioning and the first step's warm-up do not trigger it alone.
constexpr double kSlowSeconds = 60;
constexpr double kMeasure = 1;

// The families whose recompressing definition has a fast conditional variant.
constexpr const char* kVariants[][2] = {{"zstd", "zstd-dict"}, {"xz", "xz-dict"}, {"brotli", "brotli-dict"}};

}  // namespace

std::string faster_spec(const std::string& spec) {
  const std::size_t colon = spec.find(':');
  const std::string family = spec.substr(0, colon);
  const std::string level = colon == std::string::npos ? "" : spec.substr(colon);
  for (const auto& v : kVariants)
    if (family == v[0]) return v[1] + level;
  return "";
}

SlowModelNotice::SlowModelNotice(std::string spec, std::string what, std::size_t total, bool quiet)
    : spec_(std::move(spec)), what_(std::move(what)), total_(total), quiet_(quiet),
      start_(std::chrono::steady_clock::now()) {}

void SlowModelNotice::advance(std::size_t n) {
  done_ += n;
  if (quiet_ || said_ || done_ == 0 || done_ >= total_) return;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (s < kMeasure) return;
  const double rate = static_cast<double>(done_) / s;
  const double left = static_cast<double>(total_ - done_) / rate;
  if (left < kSlowSeconds) return;
  said_ = true;
  const std::string faster = faster_spec(spec_);
  const auto families = compressor_families();
  const bool compressor =
      std::find(families.begin(), families.end(), spec_.substr(0, spec_.find(':'))) != families.end();
  const std::string advice =
      !faster.empty() ? "; " + faster + " is the fast definition (the context as a dictionary; README, \"Code lengths, per family\")"
      : compressor    ? "; keep less context (--max-context 8192) to go faster"
                      : "";
  std::fprintf(stderr, "\nzgen: %s is slow here: %.2f bytes/s, about %.0f min more for %s %zu bytes%s\n", spec_.c_str(),
               rate, left / 60, what_.c_str(), total_, advice.c_str());
}

}  // namespace zgen::cli
