#pragma once
// A trained transformer as a zgen::Predictor (the SPEC "transformer:PATH").
//
// The model sees a window of at most seq bytes (its context length). Rule for longer
// histories: when the window is full and a byte arrives, the window drops its oldest bytes so
// that `keep` remain (the transformer coding's rule, coding_version.hpp: seq/4 for what
// `zgen compress` writes, seq/2 in codings 1 and 2), appends the byte, and the cache is rebuilt
// with one batched forward pass over those keep + 1 bytes (cost: one batched pass per seq − keep
// bytes). reset(c) gives exactly the window that observing c byte by byte would: after n bytes
// the window holds n bytes if n ≤ seq, else keep + ((n − seq − 1) mod (seq − keep)) + 1.
// With an empty window (no bytes yet) the distribution is uniform: the model has no
// beginning-of-text symbol, and the first byte of a text costs 8 bits.
//
// A model with raster_width W gives the distribution of the next byte's residual from the
// median edge detector (src/media/raster_prediction.hpp); log_probs rolls it back by the prediction,
// read from the window, for pixel n of a raster W wide that starts at the first byte of the
// history (the context given to reset, then the observed bytes): a 2048-byte chunk of a
// 64-wide patch is coded as the patch it is. A model with hint_width W reads that prediction of
// each next byte, on the same raster, as an input (kept beside the window); its logits are over
// the byte itself.
//
// Both reset and the slide use the KV cache's batched prefill and observe its step, all in the
// canonical arithmetic (src/transformer/kernels/exact.hpp): the same sequence of calls gives
// bit-identical probabilities on every build and CPU, whatever the thread count, which is what
// lossless coding needs (the encoder and the decoder make the same calls: reset with the same
// context, then observe byte by byte). A prefill of n ≤ seq bytes gives exactly what n steps
// would.
#include <memory>
#include <string>
#include <vector>

#include "src/models/predictor_batch.hpp"
#include "src/transformer/coding_version.hpp"
#include "src/transformer/kv_cache.hpp"
#include "src/transformer/model.hpp"
#include "zgen/errors.hpp"
#include "zgen/predictor.hpp"
#include "zgen/transformer.hpp"

namespace zgen {

// One history's window (the rule above): what the predictor and each lane of its batch keep.
struct TransformerWindow {
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint8_t> hints;  // with hint_width: hints[t] is the raster prediction of the byte after bytes[t]
  std::size_t seen = 0;  // bytes of history: the next byte is pixel `seen` of the raster
};

// make_batch: lanes of this model (src/models/predictor_batch.hpp) in one KVCache, each lane's
// distributions bit for bit those of this predictor (the decoder's chunks in lockstep).
// forced_log_probs: the encoder's side, a history's distributions a window at a time, one
// KVCache::prefill_rows per window (the same rows as the slide's prefill and the steps after it).
class TransformerPredictor final : public Predictor, public BatchablePredictor {
 public:
  // `coding`: its arithmetic and window rule (coding_version.hpp; a file records it, and each
  // coding has its SPEC prefix).
  TransformerPredictor(std::unique_ptr<transformer::Transformer<float>> model, std::string name,
                       TransformerCoding coding = kNewestTransformerCoding);
  std::string name() const override { return name_; }
  void reset(ByteView context) override;
  void observe(std::uint8_t byte) override;
  void log_probs(std::span<double, 256> out) override;
  // FNV-1a over the config, every weight's bytes, the coding (codings 2 and 3 only: fp32's hash
  // is the one files before the half arithmetic recorded) and the logits of a fixed probe: a compressed
  // file records it, so that a different checkpoint under the same path, or an arithmetic that
  // gives other probabilities (which the canonical kernels rule out on every build and CPU), is
  // refused at decoding instead of garbling it.
  std::uint64_t parameters_hash() const override { return parameters_hash_; }
  std::uint64_t learned_parameters() const override { return model_->num_parameters(); }
  // "transformer": the checkpoint's path is where it was, not what it is (its content is in
  // parameters_hash), so a .zgen file still knows the model once the checkpoint has moved.
  std::string identity() const override { return "transformer"; }

  std::unique_ptr<PredictorBatch> make_batch(int lanes) const override;
  void forced_log_probs(ByteView data, const EachLogProbs& each) override;

  const transformer::Transformer<float>& model() const { return *model_; }
  TransformerCoding coding() const { return coding_; }
  // Bytes a full window keeps when it slides (keep_after_slide of the coding and the config).
  int keep() const { return keep_; }
  // Bytes the model currently conditions on (see the window rule above).
  std::size_t window_size() const { return window_.bytes.size(); }
  // The window length after n bytes of history, for a window of seq bytes keeping `keep`.
  static std::size_t window_length(std::size_t n, int seq, int keep);

 private:
  std::unique_ptr<transformer::Transformer<float>> model_;
  std::string name_;
  TransformerCoding coding_;
  int keep_;
  transformer::KVCache cache_;
  TransformerWindow window_;
  std::vector<float> logits_;  // (V) of the byte after the window
  std::uint64_t parameters_hash_ = 0;
};

// make_transformer_predictor in the given coding (the public one: the newest).
std::unique_ptr<Predictor> make_transformer_predictor(const std::string& path, TransformerCoding coding);

}  // namespace zgen
