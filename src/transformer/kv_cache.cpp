#include "src/transformer/kv_cache.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "src/transformer/block.hpp"
#include "src/transformer/layers.hpp"

namespace zgen::transformer {

KVCache::KVCache(const TransformerConfig& config)
    : config_(config),
      keys_(static_cast<std::size_t>(config.layers) * config.seq * config.dim),
      values_(keys_.size()),
      x_(config.dim),
      ln_(config.dim),
      qkv_(3 * static_cast<std::size_t>(config.dim)),
      atty_(config.dim),
      proj_(config.dim),
      fch_(4 * static_cast<std::size_t>(config.dim)),
      fch_gelu_(fch_.size()) {}

void KVCache::store_row(float* keys, float* values, const float* qkv, int pos) const {
  const int C = config_.dim, H = config_.heads, hs = C / H;
  for (int h = 0; h < H; ++h) {
    const std::ptrdiff_t at = (static_cast<std::ptrdiff_t>(h) * config_.seq + pos) * hs;
    std::memcpy(keys + at, qkv + C + h * hs, hs * sizeof(float));
    std::memcpy(values + at, qkv + 2 * C + h * hs, hs * sizeof(float));
  }
}

void KVCache::step(const Transformer<float>& model, std::uint8_t byte, float* logits, std::uint8_t hint) {
  if (!(model.config() == config_)) throw std::logic_error("KVCache::step: model of another config");
  if (length_ >= config_.seq) throw std::logic_error("KVCache::step: cache full; the caller must slide the window");
  const auto& w = model.weights();
  const int C = config_.dim, H = config_.heads, V = config_.vocab, L = config_.layers, T = config_.seq;
  const int hs = C / H, pos = length_;
  float mean = 0, rstd = 0;
  // The same layer functions as the batched pass, on one row (N = 1).
  encoder_forward(x_.data(), &byte, w.wte, model.position_table() + static_cast<std::ptrdiff_t>(pos) * C, 1, 1, C);
  if (w.wme) embedding_add_forward(x_.data(), &hint, w.wme, 1, C);
  // One row through each block, its buffers reused: both LayerNorms write ln_ (and one mean
  // and rstd), the attention branch's residual goes to proj_, and the MLP branch's back to x_.
  BlockBuffers<float> b;
  b.residual = x_.data();
  b.ln1 = b.ln2 = ln_.data();
  b.ln1_mean = b.ln2_mean = &mean;
  b.ln1_rstd = b.ln2_rstd = &rstd;
  b.qkv = qkv_.data();
  b.atty = atty_.data();
  b.residual2 = proj_.data();
  b.fch = fch_.data();
  b.fch_gelu = fch_gelu_.data();
  b.residual3 = x_.data();
  for (int l = 0; l < L; ++l) {
    const std::ptrdiff_t lC = static_cast<std::ptrdiff_t>(l) * C;
    float* keys = keys_.data() + lC * T;      // (H,T_max,hs) this layer's keys
    float* values = values_.data() + lC * T;  // (H,T_max,hs)
    block_forward(BlockWeights<float>(w, l, C), b, 1, C, [&](float* atty, const float* qkv) {
      store_row(keys, values, qkv, pos);
      attention_decode(atty, qkv, keys, values, hs, static_cast<std::ptrdiff_t>(T) * hs, pos + 1, C, H);  // (C)
    });
  }
  layernorm_forward(ln_.data(), &mean, &rstd, x_.data(), w.lnfw, w.lnfb, 1, C);
  matmul_forward(logits, ln_.data(), w.head, static_cast<const float*>(nullptr), 1, C, V);  // (V)
  ++length_;
}

void KVCache::prefill(Transformer<float>& model, ByteView bytes, float* logits, ByteView hints) {
  if (!(model.config() == config_)) throw std::logic_error("KVCache::prefill: model of another config");
  const int n = static_cast<int>(bytes.size());
  if (n < 1 || n > config_.seq) throw std::logic_error("KVCache::prefill: need 1..seq bytes");
  const int C = config_.dim, V = config_.vocab, T = config_.seq;
  if (config_.hint_width > 0 && hints.size() != bytes.size())
    throw std::logic_error("KVCache::prefill: a model with raster hints needs one per byte");
  model.forward(bytes.data(), nullptr, 1, n, config_.hint_width > 0 ? hints.data() : nullptr);
  for (int l = 0; l < config_.layers; ++l) {
    const float* qkv = model.qkv(l);  // (n,3C)
    float* keys = keys_.data() + static_cast<std::ptrdiff_t>(l) * T * C;
    float* values = values_.data() + static_cast<std::ptrdiff_t>(l) * T * C;
    for (int t = 0; t < n; ++t) store_row(keys, values, qkv + static_cast<std::ptrdiff_t>(t) * 3 * C, t);
  }
  std::memcpy(logits, model.logits() + static_cast<std::ptrdiff_t>(n - 1) * V, V * sizeof(float));
  length_ = n;
}

}  // namespace zgen::transformer
