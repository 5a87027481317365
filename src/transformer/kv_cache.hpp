#pragma once
// Incremental decoding, the transformer's coding path: the keys and values of every position
// seen are kept per layer, so one more byte costs one row through each layer plus attention over
// the cached positions, instead of a forward pass over the whole window.
//
// A cache has `lanes` independent histories (one per chunk coded in lockstep), each with its own
// keys, values and length. step() feeds one byte to each of several lanes at once: every layer's
// linear maps then run as one matrix–matrix product over the lanes' rows, so the weights are
// read once per step of the whole batch instead of once per lane.
//
// All of it computes in the canonical arithmetic of kernels/exact.hpp, the same bits on every
// build and CPU (a compressed file decodes anywhere). Every row is computed by the same
// functions whatever rows run beside it (a linear map's row is one fma chain per output, the
// LayerNorm and attention are per row), so:
//   - prefill(b₀…bₙ₋₁) gives exactly the logits (and cache) of clear() and then step(b₀) …
//     step(bₙ₋₁);
//   - a lane's logits do not depend on the other lanes, on how many step together, or on the
//     lane count: a batch of 16 and 16 caches of one lane give the same bits.
// The training forward (Transformer::forward) rounds differently: its logits equal these up to
// float rounding.
//
// Two arithmetics (a .zgen file records its transformer coding, which says the arithmetic and
// the window rule: src/transformer/coding_version.hpp):
//   - fp32 (coding 1): the weights and the cached keys and values as they are.
//   - half (codings 2 and 3; 3 is what `zgen compress` writes): every packed weight of the linear maps
//     (not the biases, embeddings or LayerNorms) and every key and value entering the cache is
//     rounded to an IEEE half float (exact::to_half: nearest, ties to even, saturated) and
//     widened back exactly; everything else is fp32's arithmetic on those values. So the
//     portable kernels simply run on the widened floats, and the AVX2 (F16C) and AVX-512 kernels
//     read the halves instead (half the bytes to stream per step), widening them before each
//     product: the same operands, the same chains, the same bits on every ISA.
#include <cstdint>
#include <span>
#include <vector>

#include "src/transformer/kernels/exact.hpp"
#include "src/transformer/model.hpp"
#include "zgen/bytes.hpp"

namespace zgen::transformer {

enum class Arithmetic : std::uint8_t { fp32 = 1, half = 2 };

class KVCache {
 public:
  // Packs the model's matrices for the canonical kernels (once, shared by the lanes). The model
  // must outlive the cache, and its parameters must not change while the cache is in use (the
  // embeddings, LayerNorms and biases are read in place; the matrices are copied here).
  explicit KVCache(const Transformer<float>& model, int lanes = 1, Arithmetic arithmetic = Arithmetic::fp32);
  int lanes() const { return lanes_; }
  Arithmetic arithmetic() const { return arithmetic_; }
  int length(int lane = 0) const { return length_[static_cast<std::size_t>(lane)]; }  // positions cached, ≤ seq
  void clear(int lane = 0) { length_[static_cast<std::size_t>(lane)] = 0; }

  // One lane's next byte in a batched step.
  struct Row {
    int lane = 0;
    std::uint8_t byte = 0;
    std::uint8_t hint = 0;  // the raster prediction of the byte after `byte` (models with hint_width)
  };
  // Feeds rows[i].byte to lane rows[i].lane at position length(lane) (which must be < seq; the
  // lanes distinct) and writes the logits of the byte after it to logits + i·V: all rows of
  // each layer at once.
  void step(std::span<const Row> rows, float* logits /*(rows.size(),V)*/);
  // step on lane 0 alone.
  void step(std::uint8_t byte, float* logits /*(V)*/, std::uint8_t hint = 0) {
    const Row row{0, byte, hint};
    step(std::span<const Row>(&row, 1), logits);
  }
  // Replaces lane `lane` with `bytes` (1 ≤ size ≤ seq), all rows of each layer at once, and
  // writes the logits of the byte after the last one. `hints`: as long as bytes for a model with
  // hint_width, else ignored.
  void prefill(ByteView bytes, float* logits /*(V)*/, ByteView hints = {}, int lane = 0) {
    prefill_rows(bytes, static_cast<int>(bytes.size()) - 1, logits, hints, lane);
  }
  // prefill, writing the logits after every byte from bytes[first] on: logits + (r − first)·V
  // after bytes[r], r = first … size − 1 (the encoder, which knows the bytes ahead, gets a
  // window's distributions from one pass instead of one step each; the same bits).
  void prefill_rows(ByteView bytes, int first, float* logits /*(size−first,V)*/, ByteView hints = {}, int lane = 0);

 private:
  // The n rows in rows_/positions_: row r is byte rows_[r].byte of lane rows_[r].lane at
  // position positions_[r] (the lane's positions before it, and before it in this call, cached).
  // Their keys and values go into the cache; the logits of rows first … n − 1 go to `logits`,
  // (n − first, V).
  void run(int n, int first, float* logits);
  float* keys(int lane, int layer);    // (H,T_max,hs)
  float* values(int lane, int layer);  // (H,T_max,hs)
  struct Layer {
    exact::PackedMatrix qkv, attproj, fc, fcproj;
  };
  const Transformer<float>& model_;
  TransformerConfig config_;
  int lanes_;
  Arithmetic arithmetic_;
  std::vector<Layer> layers_;
  exact::PackedMatrix head_;
  // (lanes,L,H,T_max,hs) each: one head's rows contiguous, so that attention sweeps each head's
  // keys once as one block. In the half arithmetic they hold the widened halves, and keys16_,
  // values16_ the halves themselves, (lanes,L,H,T_max,hs) each (invariant: keys_[i] ==
  // from_half(keys16_[i]) for every cached position), which a step's attention reads where
  // exact::reads_halves (a prefill's rows read the floats: they share the loads anyway).
  std::vector<float> keys_, values_;
  std::vector<unsigned short> keys16_, values16_;
  std::vector<int> length_;  // (lanes)
  // The rows of a run: (R) rows_, positions_, hints_; R = max(seq, lanes).
  std::vector<Row> rows_;
  std::vector<int> positions_;
  std::vector<std::uint8_t> hints_;
  // Activations of up to R rows, reused: (R,C) x, ln, atty, res2; (R,3C) qkv; (R,4C) fch;
  // (R) mean, rstd; (T_max) scores.
  std::vector<float> x_, ln_, atty_, res2_, qkv_, fch_, mean_, rstd_, scores_;
};

}  // namespace zgen::transformer
