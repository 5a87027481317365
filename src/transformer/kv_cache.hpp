#pragma once
// Incremental decoding, the transformer's coding path: the keys and values of every position
// seen are kept per layer, so one more byte costs one row through each layer plus attention over
// the cached positions, instead of a forward pass over the whole window.
//
// All of it computes in the canonical arithmetic of kernels/exact.hpp, the same bits on every
// build and CPU (a compressed file decodes anywhere). prefill and step run the same code on
// rows, so prefill(b₀…bₙ₋₁) gives exactly the logits (and cache) of clear() and then
// step(b₀) … step(bₙ₋₁). The training forward (Transformer::forward) rounds differently: its
// logits equal these up to float rounding.
#include <cstdint>
#include <vector>

#include "src/transformer/kernels/exact.hpp"
#include "src/transformer/model.hpp"
#include "zgen/bytes.hpp"

namespace zgen::transformer {

class KVCache {
 public:
  // Packs the model's matrices for the canonical kernels. The model must outlive the cache, and
  // its parameters must not change while the cache is in use (the embeddings, LayerNorms and
  // biases are read in place; the matrices are copied here).
  explicit KVCache(const Transformer<float>& model);
  int length() const { return length_; }  // positions cached, ≤ seq
  void clear() { length_ = 0; }
  // Feeds `byte` at position length() (which must be < seq) and writes the logits of the byte
  // after it. `hint`: the raster prediction of the byte after `byte`, for a model with hint_width.
  void step(std::uint8_t byte, float* logits /*(V)*/, std::uint8_t hint = 0);
  // Replaces the cache with `bytes` (1 ≤ size ≤ seq), all rows of each layer at once, and writes
  // the logits of the byte after the last one. `hints`: as long as bytes for a model with
  // hint_width, else ignored.
  void prefill(ByteView bytes, float* logits /*(V)*/, ByteView hints = {});

 private:
  // Rows pos0 … pos0 + n − 1 (positions 0 … pos0 − 1 cached): their keys and values into the
  // cache, the logits of the last into `logits`.
  void run(const std::uint8_t* bytes, const std::uint8_t* hints, int pos0, int n, float* logits);
  struct Layer {
    exact::PackedMatrix qkv, attproj, fc, fcproj;
  };
  const Transformer<float>& model_;
  TransformerConfig config_;
  std::vector<Layer> layers_;
  exact::PackedMatrix head_;
  // (L,H,T_max,hs) each: one head's rows contiguous, so that attention sweeps each head's keys
  // once as one block.
  std::vector<float> keys_, values_;
  int length_ = 0;
  // Activations of up to seq rows, reused: (T_max,C) x, ln, atty, res2; (T_max,3C) qkv;
  // (T_max,4C) fch; (T_max) mean, rstd, scores.
  std::vector<float> x_, ln_, atty_, res2_, qkv_, fch_, mean_, rstd_, scores_;
};

}  // namespace zgen::transformer
