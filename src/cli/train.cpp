// zgen train: train the byte-level transformer on the CPU, with validation, checkpoints, resume.
// The run itself is the library's (train_transformer, src/transformer/trainer.cpp); this file
// reads the flags and the files, and prints the progress and the summary.

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/cli/processes.hpp"
#include "src/media/training_data.hpp"
#include "src/parallel/world.hpp"
#include "zgen/errors.hpp"
#include "zgen/transformer.hpp"

namespace zgen::cli {

namespace {

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

// Progress on stderr: the model and data at the start, a line every --log-every steps, one per
// validation. The warning about restarted moments is printed even with --quiet.
void print_progress(const TrainingOptions& o, const TrainingProgress& p, bool quiet, int processes) {
  const TrainingSummary& run = p.run;
  switch (p.event) {
    case TrainingProgress::Event::started:
      if (run.moments_restarted)
        std::fprintf(stderr, "zgen: warning: no '%s.optimizer': AdamW moments restart from zero\n", o.resume.c_str());
      if (quiet) return;
      std::fprintf(stderr, "model   %s\n", run.config.describe().c_str());
      std::fprintf(stderr, "data    %zu training bytes%s; batch %lld x %d bytes; steps %lld..%lld; seed %llu; threads %lld%s\n",
                   run.data_bytes,
                   run.valid_data_bytes == 0 ? "" : (", " + std::to_string(run.valid_data_bytes) + " validation bytes").c_str(),
                   o.batch, run.config.seq, run.start_step, run.steps, static_cast<unsigned long long>(run.seed),
                   *o.threads, processes > 1 ? (" per process x " + std::to_string(processes) + " processes").c_str() : "");
      return;
    case TrainingProgress::Event::step:
      if (quiet) return;
      std::fprintf(stderr, "step %lld/%lld  loss %.4f bits/byte  lr %.2e  |g| %.3f  %.0f tokens/s  ETA %s\n", run.step,
                   run.steps, p.loss_bits_per_byte, p.learning_rate, p.grad_norm, p.tokens_per_second,
                   duration_text(p.eta_seconds).c_str());
      return;
    case TrainingProgress::Event::validated:
      if (quiet) return;
      std::fprintf(stderr, "step %lld  valid %.4f bits/byte (%zu bytes, %.1fs)\n", run.step, run.valid_bits_per_byte,
                   p.valid_predicted, p.valid_seconds);
      return;
  }
}

}  // namespace

int run_train(int argc, char** argv) {
  TrainingOptions o;
  std::vector<std::string> data_paths;
  std::string valid_path;
  int layers = 0, dim = 0, heads = 0, seq = 0, raster_width = 0, hint_width = 0;
  long long threads = 0;
  std::uint64_t seed = 0;
  po::options_description options("options");
  options.add_options()
      ("data,d", po::value(&data_paths)->multitoken()->required(), "training files (concatenated); for images and audio, directories too")
      ("data-kind", po::value(&o.data_kind)->default_value("text"),
       "text; image-patches (photos as 64x32 grayscale patches, windows at patch starts); audio (8-bit samples in 2048-byte chunks)")
      ("augment", po::value(&o.augment)->default_value("none"),
       "image-patches only, validation unchanged: none; mirror (each photo also as its left-right mirror image); shift (each photo also on the patch grid moved half a patch right, down and both); mirror,shift (8 grids)")
      ("raster-width", po::value(&raster_width),
       "image-patches only, experimental: the model predicts each pixel's residual from the JPEG-LS median predictor (left, above, above-left) on rows this wide (64: a patch's width) instead of the pixel; learns faster, ends worse (models/README.md); 0 (default): the pixels")
      ("hint-width", po::value(&hint_width),
       "image-patches only, experimental: each position's input also carries the JPEG-LS median predictor's guess of the next pixel on rows this wide (64: a patch's width), through a second embedding; the model still predicts the pixel; learns faster, ends worse (models/README.md); 0 (default): no hints")
      ("valid", po::value(&valid_path), "held-out file (or directory, for images and audio) for validation in bits/byte (none: no validation)")
      ("config", po::value(&o.config)->default_value("800k"), "model size: 200k, 800k or 3.2m (the paper's)")
      ("layers", po::value(&layers), "override the config's layers")
      ("dim", po::value(&dim), "override the config's width")
      ("heads", po::value(&heads), "override the config's heads")
      ("seq", po::value(&seq), "override the config's context length (bytes); with --resume, a sinusoidal model may change it (train on short windows, finish on long ones)")
      ("positions", po::value(&o.positions)->default_value("sinusoidal"), "position encoding: sinusoidal or learned")
      ("tied-head", "use the token embedding as the output matrix")
      ("steps", po::value(&o.steps)->default_value(1000), "optimisation steps in the whole run (the schedule's length)")
      ("batch", po::value(&o.batch)->default_value(8), "sequences per step, each --seq bytes")
      ("lr", po::value(&o.lr)->default_value(1e-3), "peak learning rate")
      ("min-lr-ratio", po::value(&o.min_lr_ratio)->default_value(0.1), "final learning rate as a fraction of the peak")
      ("warmup", po::value(&o.warmup)->default_value(100), "linear warmup steps")
      ("weight-decay", po::value(&o.weight_decay)->default_value(0.1), "AdamW decoupled weight decay (linear matrices only)")
      ("beta2", po::value(&o.beta2)->default_value(0.95), "AdamW β2")
      ("grad-clip", po::value(&o.grad_clip)->default_value(1.0), "clip the gradients' global norm (0: off)")
      ("out,o", po::value(&o.out)->required(), "checkpoint to write (safetensors); OUT.optimizer holds the state for --resume")
      ("resume", po::value(&o.resume), "continue from this checkpoint (and its .optimizer file)")
      ("seed", po::value(&seed), "seed for initial weights and batches (default: fresh, printed)")
      ("threads,j", po::value(&threads)->default_value(default_threads()), "threads")
      ("recompute-attention", "recompute attention's probabilities in the backward pass instead of keeping them from the forward (half precision, layers × batch × heads × seq² bytes: 540 MB for 800k at 8 x 2048): less memory, steps about 8% slower")
      ("eval-every", po::value(&o.eval_every)->default_value(200), "validate every N steps (0: only at the end)")
      ("valid-bytes", po::value(&o.valid_bytes)->default_value(262144), "validate on at most the first N bytes (0: all)")
      ("checkpoint-every", po::value(&o.checkpoint_every)->default_value(0), "write the checkpoint every N steps (0: at each validation)")
      ("log-every", po::value(&o.log_every)->default_value(10), "progress line every N steps")
      ("quiet,q", "only errors and the final summary");
  po::variables_map vm;
  bool help = false;
  Bytes data, valid;
  // On several processes (mpirun -np N zgen train), every process reads the flags and the files
  // (each node its own copies) and they agree before training: a bad flag or a file missing on
  // one node stops every process with one message.
  on_every_process([&] {
    help = !parse_or_help(argc, argv, options, vm,
                       "usage: zgen train --data FILE... [--data-kind text|image-patches|audio] [--augment mirror,shift]\n"
                       "                  [--valid FILE] [--config 200k|800k|3.2m] [--layers L --dim D\n"
                       "                  --heads H --seq T] [--steps N --batch B --lr LR ...] --out model.safetensors\n"
                       "                  [--resume model.safetensors] [--seed S] [--threads N]\n"
                       "Trains a decoder-only byte-level transformer (vocabulary 256, pre-LayerNorm, GELU MLP x4) with\n"
                       "AdamW, warmup + cosine learning rate and gradient clipping, on random windows of the data.\n"
                       "Progress goes to stderr; the checkpoint is a safetensors file whose metadata holds the config\n"
                       "and how it was trained (readable by Python's safetensors and PyTorch as it is).\n"
                       "Under mpirun -np N (or srun), N processes train together, each on its share of every batch\n"
                       "with --threads threads; process 0 prints and writes the checkpoints.");
    if (help) return;
    // Every option is checked before any file is read, so that a bad one is named first.
    if (vm.count("layers")) o.layers = layers;
    if (vm.count("dim")) o.dim = dim;
    if (vm.count("heads")) o.heads = heads;
    if (vm.count("seq")) o.seq = seq;
    if (vm.count("raster-width")) o.raster_width = raster_width;
    if (vm.count("hint-width")) o.hint_width = hint_width;
    if (vm.count("seed")) o.seed = seed;
    o.tied_head = vm.count("tied-head") > 0;
    o.recompute_attention = vm.count("recompute-attention") > 0;
    o.threads = threads;
    o.command = "zgen";
    for (int i = 0; i < argc; ++i) o.command += std::string(" ") + argv[i];
    for (const auto& p : data_paths) o.data_source += (o.data_source.empty() ? "" : " ") + p;
    o.valid_source = valid_path;
    validate(o);

    if (o.data_kind == "text") data = read_inputs(data_paths);
    else data = load_media_training_data(o.data_kind, data_paths, parse_image_augment(o.augment)).bytes;
    if (vm.count("valid")) {
      valid = o.data_kind == "text" ? read_input(valid_path) : load_media_training_data(o.data_kind, {valid_path}).bytes;
      if (valid.size() < 2) throw UserError("'" + valid_path + "' holds fewer than 2 bytes: nothing to validate");
    }
  });
  if (help) return 0;
  const bool quiet = vm.count("quiet") > 0;
  parallel::World& world = parallel::world();
  if (!world.alone()) o.group = &world;  // process 0 alone hears the progress

  const TrainingSummary s =
      train_transformer(o, data, valid, [&](const TrainingProgress& p) { print_progress(o, p, quiet, world.size()); });
  if (!world.leader()) return 0;
  std::printf("trained  %s\n", s.config.describe().c_str());
  std::printf("steps    %lld..%lld in %s (%.0f tokens/s)\n", s.start_step, s.steps, duration_text(s.seconds).c_str(),
              static_cast<double>(s.steps - s.start_step) * static_cast<double>(o.batch) * s.config.seq / s.seconds);
  if (std::isfinite(s.valid_bits_per_byte)) std::printf("valid    %.4f bits/byte\n", s.valid_bits_per_byte);
  std::printf("wrote    %s (+ %s.optimizer for --resume)\n", o.out.c_str(), o.out.c_str());
  return 0;
}

}  // namespace zgen::cli
