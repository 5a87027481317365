#include "src/eval/copy_rate.hpp"
#include "zgen/errors.hpp"

#include <string_view>
#include <unordered_set>

namespace zgen {

double copy_rate(ByteView sample, ByteView source, std::size_t window) {
  if (window == 0) throw UserError("copy rate: the window must be at least 1 byte");
  if (sample.size() < window) return 0;
  auto view = [](ByteView b, std::size_t at, std::size_t n) {
    return std::string_view(reinterpret_cast<const char*>(b.data()) + at, n);
  };
  // Every window of the source, as views into it (the source outlives the set).
  std::unordered_set<std::string_view> seen;
  if (source.size() >= window) {
    seen.reserve(source.size() - window + 1);
    for (std::size_t i = 0; i + window <= source.size(); ++i) seen.insert(view(source, i, window));
  }
  const std::size_t windows = sample.size() - window + 1;
  std::size_t copied = 0;
  for (std::size_t i = 0; i < windows; ++i) copied += seen.count(view(sample, i, window));
  return static_cast<double>(copied) / static_cast<double>(windows);
}

}  // namespace zgen
