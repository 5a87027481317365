#pragma once
// zgen's own transformer: the shape of a decoder-only byte-level model, the paper's named sizes
// and the parameter count they imply, loading a trained checkpoint as a Predictor, and training
// one (train_transformer, what `zgen train` runs).
//
// Architecture (GPT-2 style, pre-LayerNorm):
//   x = wte[byte] + position[t]
//   for each of `layers` blocks:  x += attn(LN1(x));  x += mlp(LN2(x))      (MLP: C → 4C → GELU(tanh) → C)
//   logits = LN_f(x) · headᵀ        (head = wte when tied_head, else its own (V,C) matrix, no bias)
//
// Positions are either a fixed sinusoidal table (Vaswani et al.; no parameters) or a learned
// (seq, dim) table. The named configs use sinusoidal positions and an untied head because that is
// what makes the parameter counts equal the paper's (Delétang et al. 2023, 4 layers, context 2048):
// d=64/4 heads 232,832 (paper ≈232K), d=128/4 heads 858,880 (≈857K), d=256/8 heads 3,290,624
// (≈3.29M). A learned table would add seq·dim parameters (131K at d=64: 56% more than the paper's
// model), so it is available (learned_positions) but not the default.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"
#include "zgen/predictor.hpp"

namespace zgen {

struct TransformerConfig {
  int vocab = 256;   // bytes; fixed (checkpoints with another vocabulary are refused)
  int layers = 4;    // L
  int dim = 128;     // C, the residual width
  int heads = 4;     // H; head size C/H
  int seq = 2048;    // T_max, the most positions the model sees at once
  bool learned_positions = false;  // false: fixed sinusoidal table
  bool tied_head = false;          // true: logits use wte as the output matrix
  // 0: the logits are over the next byte. W > 0: over the next byte's residual from the median
  // edge detector on a raster W bytes wide (src/media/raster_prediction.hpp), for image patches; the
  // predictor rolls them back. Needs seq ≥ 2W + 2, so that the window always holds the row above.
  int raster_width = 0;
  // 0: each position's input is its byte (and position). W > 0: plus a second embedding
  // (transformer.wme.weight, (V,C)) of the median edge detector's prediction of the NEXT byte on
  // a raster W bytes wide: the model sees the classical guess as a token and still predicts the
  // byte. The callers compute the hints (src/media/raster_prediction.hpp). Needs seq ≥ 2W + 2, like
  // raster_width, and excludes it.
  int hint_width = 0;

  int head_size() const { return dim / heads; }
  int mlp_dim() const { return 4 * dim; }
  // The hint table's size in elements: V·C with hints, else 0.
  std::size_t hint_parameters() const { return hint_width > 0 ? static_cast<std::size_t>(vocab) * dim : 0; }

  // UserError (one line) naming the first bad field; limits keep every buffer size in range.
  void validate() const;

  // Parameters in the one flat buffer (see ParameterLayout in model.hpp).
  std::size_t num_parameters() const;
  // "232,832 parameters (embedding 16,384 · positions 0 (sinusoidal) · blocks 199,936 · ...)".
  std::string describe() const;

  // "200k", "800k", "3.2m" (the paper's sizes); UserError for anything else.
  static TransformerConfig named(const std::string& name);
  static std::vector<std::string> names();

  // As safetensors __metadata__ strings ("zgen.layers" → "4", ...), and back; from_metadata is
  // strict: a missing, malformed or out-of-range field is a UserError naming it. The optional
  // fields "zgen.raster_width" and "zgen.hint_width" are written only when set (absent: 0), so
  // checkpoints from before them read, and hash, as they did.
  std::map<std::string, std::string> to_metadata() const;
  static TransformerConfig from_metadata(const std::map<std::string, std::string>& metadata);

  bool operator==(const TransformerConfig&) const = default;
};

// Loads a checkpoint written by `zgen train` (safetensors with the config in its metadata) as a
// next-byte model, the SPEC "transformer:PATH": the newest transformer coding (3: half floats, a
// window that keeps a quarter when it slides; src/transformer/coding_version.hpp, where
// "transformer-v2:PATH" and "transformer-fp32:PATH" give the earlier ones). Throws FileError for
// a missing file, FormatError for a malformed one.
std::unique_ptr<Predictor> make_transformer_predictor(const std::string& path);

// Data-parallel training (`mpirun -np N zgen train`): N processes, each with the whole model,
// each taking its share of every batch and adding their gradients together before the step.
// The library links no communication library: a caller implements this (zgen's CLI does it
// with MPI, src/parallel/) and passes it in TrainingOptions::group.
class DataParallelGroup {
 public:
  virtual ~DataParallelGroup() = default;
  virtual int rank() const = 0;  // this process, 0..size()-1
  virtual int size() const = 0;
  // Collective: every member calls it, in the same order, with as many values. Each value
  // becomes the sum of the members' values added in rank order, ((v0 + v1) + v2) + ..., so
  // every member gets the same bits whatever the transport, and a run is reproducible.
  virtual void sum(std::span<float> values) = 0;
  virtual void sum(std::span<double> values) = 0;
};

// What train_transformer throws on the other members of a group when work done by member 0
// alone (writing a checkpoint, the progress callback) failed: member 0 throws the error itself
// and is the one to report it.
class PeerFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Training a transformer, as `zgen train` does: AdamW, linear warmup then a half cosine down
// to lr·min_lr_ratio, gradient clipping, on batches of random windows of the data; validation
// in bits per byte; a checkpoint (and its optimizer state, for resume) every so often and at
// the end. The same options, data and seed give the same checkpoint, bit for bit, as the CLI
// (at the same thread count: the teams sum their parts in an order set by their size), and a
// resumed run continues as if it had never stopped.
//
//   TrainingOptions options;
//   options.config = "200k";  options.seq = 256;  options.steps = 2000;  options.seed = 1;
//   options.out = "model.safetensors";
//   const TrainingSummary s = train_transformer(options, text, held_out, [](const TrainingProgress& p) {
//     if (p.event == TrainingProgress::Event::step) std::printf("%lld %.3f\n", p.run.step, p.loss_bits_per_byte);
//   });
//   auto model = make_transformer_predictor(options.out);
//
// A bad option is an InvalidParameter naming its field ("steps", "seq", "data_kind", ...); a
// checkpoint to resume that cannot be read is a FileError or a UserError naming the file.
struct TrainingOptions {
  // What the data is: "text" (any bytes; windows start anywhere), "image-patches" (photos as
  // their 64×32 grayscale patches, include/zgen/images.hpp) or "audio" (8-bit samples in
  // 2048-byte chunks). For the last two the data is whole 2048-byte pieces and windows start
  // at their boundaries.
  std::string data_kind = "text";

  // A fresh model: the named size `config` (TransformerConfig::named), with the fields below
  // that are set in place of its own, and its initial weights drawn from `seed`.
  std::string config = "800k";
  std::optional<int> layers, dim, heads, seq;
  std::optional<int> raster_width, hint_width;  // image-patches only; see TransformerConfig
  std::string positions = "sinusoidal";         // or "learned"
  bool tied_head = false;
  // Or a checkpoint written by train_transformer, continued from its step with the AdamW
  // moments and the batch sampler's position in `resume` + ".optimizer" (without that file the
  // moments restart from zero: TrainingSummary::moments_restarted). The shape fields above
  // that are set must agree with the checkpoint's; `config`, `positions` and `tied_head` are
  // ignored. Only `seq` may change, and only for sinusoidal positions (no weight depends on
  // the window: train on short windows, finish on long ones).
  std::string resume;

  // The run.
  long long steps = 1000;          // the schedule's length (a resumed run continues up to it)
  long long batch = 8;             // windows per step, each seq bytes; 1..4096
  double lr = 1e-3;                // peak learning rate, (0, 1]
  double min_lr_ratio = 0.1;       // the last step's learning rate as a fraction of the peak
  long long warmup = 100;          // linear warmup steps
  double weight_decay = 0.1;       // AdamW's decoupled weight decay (linear matrices only), [0, 10]
  double beta2 = 0.95;             // AdamW β2, [0, 1)
  double grad_clip = 1.0;          // the gradients' largest global norm (0: no clipping)
  // The initial weights' and the batches' seed; unset: a resumed run keeps its checkpoint's, a
  // fresh one draws one from the operating system (TrainingSummary::seed says which).
  std::optional<std::uint64_t> seed;
  // OpenMP threads during the run (the caller's setting is restored after it); unset: the
  // caller's setting as it is (OMP_NUM_THREADS, else all cores).
  std::optional<long long> threads;
  // Recompute attention's probabilities in the backward pass instead of keeping them from the
  // forward (layers × batch × heads × seq² half-precision values): less memory, slower steps.
  bool recompute_attention = false;

  // Validation on the held-out bytes given to train_transformer (none: no validation).
  long long eval_every = 200;      // every N steps, and at the end (0: only at the end)
  long long valid_bytes = 262144;  // on at most the first N bytes (0: all)

  // Output: the checkpoint (safetensors) and `out` + ".optimizer" beside it.
  std::string out;
  long long checkpoint_every = 0;  // written every N steps too (0: at each validation); always at the end
  long long log_every = 10;        // a progress event every N steps, and at the last

  // Recorded in the checkpoint's metadata as they are (train.augment, train.data, train.valid,
  // train.command): the augmentation the caller applied to image patches ("none", or "mirror"
  // and/or "shift" separated by a comma: see `zgen train --help`), where the data and the
  // held-out bytes came from, and how the run was started. A resumed run also keeps the
  // commands that led to its checkpoint (train.earlier_commands).
  std::string augment = "none";
  std::string data_source, valid_source, command;

  // Training on several processes (see DataParallelGroup; null: this process alone). Every
  // member calls train_transformer with the same options, data and held-out bytes. Every member
  // draws the same batches; member r of N takes windows [r·B/N, (r+1)·B/N) of each (so batch
  // must be at least N), and the gradients are weighted by each member's share and summed in
  // rank order: a run gives the same bits for a given N, and the single process's result within
  // float rounding for any N. Validation is split over the members the same way. Only member 0
  // hears the progress events and writes the checkpoints; every member returns the summary.
  // The checkpoints do not depend on N, so a run may be resumed on any number of processes.
  DataParallelGroup* group = nullptr;
};

// What a run did, so far (in a progress event) or in all (returned at the end).
struct TrainingSummary {
  TransformerConfig config;           // the model's (a resumed one's, with seq as this run trains it)
  std::uint64_t seed = 0;             // the run's seed
  long long start_step = 0;           // 0, or the step a resumed checkpoint was at
  long long step = 0;                 // steps done (at the end: options.steps)
  long long steps = 0;                // options.steps
  std::size_t data_bytes = 0;         // training bytes
  std::size_t valid_data_bytes = 0;   // held-out bytes given (validation reads at most options.valid_bytes)
  bool moments_restarted = false;     // resumed without the .optimizer file
  double valid_bits_per_byte = std::numeric_limits<double>::quiet_NaN();  // the latest validation's; NaN: none yet
  std::uint64_t tokens_seen = 0;      // bytes predicted in training, over the model's whole life
  double seconds = 0;                 // this run's time so far
};

struct TrainingProgress {
  enum class Event {
    started,    // the model is built or resumed, nothing trained yet
    step,       // every options.log_every steps, and at the last
    validated,  // after a validation (run.valid_bits_per_byte holds its figure)
  };
  Event event = Event::started;
  TrainingSummary run;
  // step: over the steps since the previous step event (or the start).
  double loss_bits_per_byte = 0;  // the batches' mean cross-entropy
  double learning_rate = 0;       // the last step's
  double grad_norm = 0;           // the last step's global gradient norm, before clipping
  double tokens_per_second = 0;
  double eta_seconds = 0;         // for the steps left, at this pace
  // validated:
  std::size_t valid_predicted = 0;  // bytes predicted
  double valid_seconds = 0;
};

// Checks the options that need no file: every range, the names, and a fresh model's config
// (InvalidParameter, or UserError from TransformerConfig). train_transformer calls it first;
// a caller may call it before reading data, to report a bad option before a missing file.
void validate(const TrainingOptions& options);

// Trains on `data` (at least seq + 1 bytes), validating on `valid` when it is not empty, and
// writes options.out (and options.out + ".optimizer") at the checkpoints and at the end.
// `progress`, when given, hears of each event as it happens; an exception it throws stops the
// run (the checkpoints written so far stay) and propagates.
TrainingSummary train_transformer(const TrainingOptions& options, ByteView data, ByteView valid = {},
                                  const std::function<void(const TrainingProgress&)>& progress = {});

}  // namespace zgen
