#pragma once
// Incremental decoding: the keys and values of every position seen are kept per layer, so one
// more byte costs one row through each layer plus attention over the cached positions, instead
// of a forward pass over the whole window.
#include <cstdint>
#include <vector>

#include "src/transformer/model.hpp"
#include "zgen/bytes.hpp"

namespace zgen::transformer {

class KVCache {
 public:
  explicit KVCache(const TransformerConfig& config);
  int length() const { return length_; }  // positions cached, ≤ seq
  void clear() { length_ = 0; }
  // Feeds `byte` at position length() (which must be < seq) and writes the logits of the byte
  // after it. The result equals the full forward pass's row for that position up to rounding.
  // `hint`: the raster prediction of the byte after `byte`, for a model with hint_width.
  void step(const Transformer<float>& model, std::uint8_t byte, float* logits /*(V)*/, std::uint8_t hint = 0);
  // Replaces the cache with one batched forward pass over `bytes` (1 ≤ size ≤ seq): the fast way
  // to condition on a long context. Writes the logits of the byte after the last one. `hints`:
  // as long as bytes for a model with hint_width (Transformer::forward's), else ignored.
  void prefill(Transformer<float>& model, ByteView bytes, float* logits /*(V)*/, ByteView hints = {});

 private:
  // Copies position pos's key and value (from a (3C) qkv row) into one layer's cache.
  void store_row(float* keys, float* values, const float* qkv, int pos) const;
  TransformerConfig config_;
  // (L,H,T_max,hs) each: one head's rows contiguous, so that decoding sweeps each head's
  // keys once as one block (a (T_max,C) layout made every head sweep all C columns' lines).
  std::vector<float> keys_, values_;
  int length_ = 0;
  std::vector<float> x_, ln_, qkv_, atty_, proj_, fch_, fch_gelu_;  // one row's activations
};

}  // namespace zgen::transformer
