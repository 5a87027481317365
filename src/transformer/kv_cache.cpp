#include "src/transformer/kv_cache.hpp"

#include <cstring>
#include <stdexcept>

#include "src/transformer/layers.hpp"

namespace zgen::transformer {

KVCache::KVCache(const Transformer<float>& model) : model_(model), config_(model.config()) {
  const auto& w = model.weights();
  const int C = config_.dim, L = config_.layers, T = config_.seq;
  for (int l = 0; l < L; ++l) {
    const std::ptrdiff_t lC = static_cast<std::ptrdiff_t>(l) * C;
    Layer layer;
    layer.qkv = exact::pack(w.qkvw + lC * 3 * C, w.qkvb + 3 * lC, 3 * C, C);
    layer.attproj = exact::pack(w.attprojw + lC * C, w.attprojb + lC, C, C);
    layer.fc = exact::pack(w.fcw + lC * 4 * C, w.fcb + 4 * lC, 4 * C, C);
    layer.fcproj = exact::pack(w.fcprojw + lC * 4 * C, w.fcprojb + lC, C, 4 * C);
    layers_.push_back(std::move(layer));
  }
  head_ = exact::pack(w.head, nullptr, config_.vocab, C);
  const std::size_t TC = static_cast<std::size_t>(T) * C;
  keys_.resize(static_cast<std::size_t>(L) * TC);
  values_.resize(keys_.size());
  x_.resize(TC);
  ln_.resize(TC);
  atty_.resize(TC);
  res2_.resize(TC);
  qkv_.resize(3 * TC);
  fch_.resize(4 * TC);
  mean_.resize(static_cast<std::size_t>(T));
  rstd_.resize(static_cast<std::size_t>(T));
  scores_.resize(static_cast<std::size_t>(T));
}

void KVCache::step(std::uint8_t byte, float* logits, std::uint8_t hint) {
  if (length_ >= config_.seq) throw std::logic_error("KVCache::step: cache full; the caller must slide the window");
  run(&byte, &hint, length_, 1, logits);
  ++length_;
}

void KVCache::prefill(ByteView bytes, float* logits, ByteView hints) {
  const int n = static_cast<int>(bytes.size());
  if (n < 1 || n > config_.seq) throw std::logic_error("KVCache::prefill: need 1..seq bytes");
  if (config_.hint_width > 0 && hints.size() != bytes.size())
    throw std::logic_error("KVCache::prefill: a model with raster hints needs one per byte");
  run(bytes.data(), hints.data(), 0, n, logits);
  length_ = n;
}

void KVCache::run(const std::uint8_t* bytes, const std::uint8_t* hints, int pos0, int n, float* logits) {
  const auto& w = model_.weights();
  const int C = config_.dim, H = config_.heads, L = config_.layers, T = config_.seq, hs = C / H;
  const std::ptrdiff_t C3 = 3 * static_cast<std::ptrdiff_t>(C), C4 = 4 * static_cast<std::ptrdiff_t>(C);
  float* x = x_.data();  // (n,C) the residual stream of rows pos0 …
  for (int t = 0; t < n; ++t)
    encoder_forward(x + static_cast<std::ptrdiff_t>(t) * C, bytes + t, w.wte,
                    model_.position_table() + static_cast<std::ptrdiff_t>(pos0 + t) * C, 1, 1, C);
  if (w.wme) embedding_add_forward(x, hints, w.wme, n, C);
  for (int l = 0; l < L; ++l) {
    const std::ptrdiff_t lC = static_cast<std::ptrdiff_t>(l) * C;
    const Layer& layer = layers_[static_cast<std::size_t>(l)];
    float* keys = keys_.data() + lC * T;  // (H,T_max,hs)
    float* values = values_.data() + lC * T;
    // Every row's keys and values go into the cache; past the last layer's attention only the
    // last row matters (the logits are its), so there the rest runs on that row alone.
    layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), x, w.ln1w + lC, w.ln1b + lC, n, C);
    exact::linear(qkv_.data(), C3, ln_.data(), C, layer.qkv, n);  // (n,3C)
    for (int t = 0; t < n; ++t) {
      const float* row = qkv_.data() + t * C3;
      for (int h = 0; h < H; ++h) {
        const std::ptrdiff_t at = (static_cast<std::ptrdiff_t>(h) * T + pos0 + t) * hs;
        std::memcpy(keys + at, row + C + h * hs, hs * sizeof(float));
        std::memcpy(values + at, row + 2 * C + h * hs, hs * sizeof(float));
      }
    }
    const int first = l == L - 1 ? n - 1 : 0, rows = n - first;  // rows first … n − 1 go on
    for (int t = first; t < n; ++t)  // row t sees positions 0 … pos0 + t
      exact::attention_row(atty_.data() + static_cast<std::ptrdiff_t>(t) * C, qkv_.data() + t * C3, keys, values,
                           static_cast<std::ptrdiff_t>(T) * hs, pos0 + t + 1, C, H, scores_.data());
    float* xr = x + static_cast<std::ptrdiff_t>(first) * C;  // (rows,C)
    float* res2 = res2_.data();                               // (rows,C)
    exact::linear(res2, C, atty_.data() + static_cast<std::ptrdiff_t>(first) * C, C, layer.attproj, rows);
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(rows) * C; ++i) res2[i] += xr[i];
    layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), res2, w.ln2w + lC, w.ln2b + lC, rows, C);
    exact::linear(fch_.data(), C4, ln_.data(), C, layer.fc, rows);  // (rows,4C)
    exact::gelu(fch_.data(), fch_.data(), rows * C4);
    exact::linear(xr, C, fch_.data(), C4, layer.fcproj, rows);
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(rows) * C; ++i) xr[i] += res2[i];
  }
  const float* last = x + static_cast<std::ptrdiff_t>(n - 1) * C;
  layernorm_forward(ln_.data(), mean_.data(), rstd_.data(), last, w.lnfw, w.lnfb, 1, C);
  exact::linear(logits, config_.vocab, ln_.data(), C, head_, 1);  // (V)
}

}  // namespace zgen::transformer
