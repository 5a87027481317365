#include "zgen/images.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace zgen {

KnownMask known_left_columns(int width, int height, int known_columns) {
  if (width < 0 || height < 0 || known_columns < 0 || known_columns > width)
    throw std::invalid_argument("known_left_columns: out of range");
  KnownMask known(static_cast<std::size_t>(width) * static_cast<std::size_t>(height), 0);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < known_columns; ++x) known[static_cast<std::size_t>(y) * width + x] = 1;
  return known;
}

KnownMask known_top_rows(int width, int height, int known_rows) {
  if (width < 0 || height < 0 || known_rows < 0 || known_rows > height)
    throw std::invalid_argument("known_top_rows: out of range");
  KnownMask known(static_cast<std::size_t>(width) * static_cast<std::size_t>(height), 0);
  std::fill(known.begin(), known.begin() + static_cast<std::ptrdiff_t>(known_rows) * width, 1);
  return known;
}

Bytes complete_patch(Predictor& model, SamplerChain& chain, ByteView prior, ByteView patch, const KnownMask& known,
                     const std::function<void()>& on_sampled) {
  if (patch.size() != known.size()) throw std::invalid_argument("complete_patch: patch and mask differ in size");
  model.reset(prior);
  Bytes out(patch.begin(), patch.end());
  std::array<double, 256> log_probs{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!known[i]) {
      model.log_probs(log_probs);
      out[i] = static_cast<std::uint8_t>(chain.sample(log_probs));
      chain.accept(out[i]);
    }
    model.observe(out[i]);
    if (!known[i] && on_sampled) on_sampled();
  }
  return out;
}

}  // namespace zgen
