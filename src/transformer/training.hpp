#pragma once
// The pieces of a training run that the CLI and the tests share: batches of random windows,
// one optimisation step, evaluation in bits per byte, and the optimiser's state on disk.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "src/transformer/model.hpp"
#include "src/transformer/optimizer.hpp"
#include "src/transformer/rng.hpp"
#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"
#include "zgen/transformer.hpp"

namespace zgen::transformer {

// Windows of T+1 consecutive bytes at uniformly random offsets that are multiples of
// `alignment` (1: any offset; 2048: the starts of image patches or audio chunks): inputs are the
// window's first T bytes, targets its last T, read from `target_stream` when it is given (a
// stream as long as data, e.g. its raster residuals: src/media/raster_prediction.hpp) instead of from
// data. Hints, when `hint_stream` is given (as long as data: its raster predictions), are read
// at the targets' offsets: hints[b,t] is the prediction of the byte after inputs[b,t]. The
// generator's state is one integer, saved for resume.
class BatchSampler {
 public:
  // data must hold ≥ T+1 bytes; alignment ≥ 1; target_stream and hint_stream empty or
  // data.size() bytes.
  BatchSampler(ByteView data, int B, int T, std::uint64_t seed, std::size_t alignment = 1, ByteView target_stream = {},
               ByteView hint_stream = {});
  // hints (B,T) is written when the sampler has a hint stream.
  void next(std::uint8_t* inputs /*(B,T)*/, std::uint8_t* targets /*(B,T)*/, std::uint8_t* hints = nullptr);
  std::uint64_t state() const { return rng_.state; }
  void set_state(std::uint64_t s) { rng_.state = s; }

 private:
  ByteView data_, targets_, hints_;
  int B_, T_;
  std::size_t alignment_;
  SplitMix64 rng_;
};

struct StepResult {
  double loss = 0;       // mean cross-entropy of the batch, nats per byte
  double grad_norm = 0;  // before clipping
};

// zero_grad, forward, backward, clip to `grad_clip` (≤ 0: no clipping), AdamW step at `lr`.
// With a data-parallel group, B windows are this member's part of a batch of which it holds
// `share` (B / the whole batch): its gradients and loss are weighted by `share` and summed over
// the group (in rank order) before the clipping, so that every member clips and steps with the
// same gradients, those of the whole batch's mean loss, and returns the whole batch's loss.
StepResult train_step(Transformer<float>& model, AdamW& optimizer, const std::uint8_t* inputs,
                      const std::uint8_t* targets, int B, int T, double lr, double grad_clip,
                      const std::uint8_t* hints = nullptr, DataParallelGroup* group = nullptr, double share = 1);

// Bits per byte on `data` (at most its first max_bytes; 0: all): consecutive windows of T+1
// bytes overlapping by one, so every byte but the first is predicted exactly once, from the
// bytes before it in its window (the model's context restarts every T bytes, like the paper's
// fixed-size chunks). Windows go B at a time through the batched forward pass. The targets are
// read from `target_stream` when it is given (as long as data), like BatchSampler's, and so are
// the hints from `hint_stream` (required for a model with hint_width).
struct EvalResult {
  double bits_per_byte = 0;
  std::size_t predicted = 0;  // bytes predicted
};
// With a data-parallel group (a collective call), member r of N predicts the windows
// [r·W/N, (r+1)·W/N) of the W whole ones (the last member the ragged last window too) and the
// sums are added over the group: every member returns the whole data's result.
EvalResult evaluate(Transformer<float>& model, ByteView data, int T, int B, std::size_t max_bytes = 0,
                    ByteView target_stream = {}, ByteView hint_stream = {}, DataParallelGroup* group = nullptr);

// The optimiser's moments and step count, as a safetensors file beside the checkpoint
// ("adamw.m", "adamw.v"; metadata "zgen.adamw.step" plus `info`). Loading is strict: the sizes
// must match the model's, else UserError.
void save_optimizer_state(const std::string& path, const AdamW& optimizer, const std::map<std::string, std::string>& info);
std::map<std::string, std::string> load_optimizer_state(const std::string& path, AdamW& optimizer);

}  // namespace zgen::transformer
