// zgen train: train the byte-level transformer on the CPU, with validation, checkpoints, resume.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/media/raster_prediction.hpp"
#include "src/media/training_data.hpp"
#include "src/transformer/checkpoint.hpp"
#include "src/transformer/training.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"

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

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

int run_train(int argc, char** argv) {
  std::vector<std::string> data_paths;
  std::string valid_path, config_name, out_path, resume_path, positions, data_kind, augment;
  int layers = 0, dim = 0, heads = 0, seq = 0, raster_width = 0, hint_width = 0;
  long long steps = 0, batch = 0, warmup = 0, threads = 0, eval_every = 0, checkpoint_every = 0, log_every = 0;
  long long valid_bytes = 0;
  double lr = 0, min_lr_ratio = 0, weight_decay = 0, grad_clip = 0, beta2 = 0;
  std::uint64_t seed = 0;
  po::options_description options("options");
  options.add_options()
      ("data,d", po::value(&data_paths)->multitoken()->required(), "training files (concatenated); for images and audio, directories too")
      ("data-kind", po::value(&data_kind)->default_value("text"),
       "text; image-patches (photos as 64x32 grayscale patches, windows at patch starts); audio (8-bit samples in 2048-byte chunks)")
      ("augment", po::value(&augment)->default_value("none"),
       "image-patches only, validation unchanged: none; mirror (each photo also as its left-right mirror image); shift (each photo also on the patch grid moved half a patch right, down and both); mirror,shift (8 grids)")
      ("raster-width", po::value(&raster_width),
       "image-patches only, experimental: the model predicts each pixel's residual from the JPEG-LS median predictor (left, above, above-left) on rows this wide (64: a patch's width) instead of the pixel; learns faster, ends worse (models/README.md); 0 (default): the pixels")
      ("hint-width", po::value(&hint_width),
       "image-patches only, experimental: each position's input also carries the JPEG-LS median predictor's guess of the next pixel on rows this wide (64: a patch's width), through a second embedding; the model still predicts the pixel; learns faster, ends worse (models/README.md); 0 (default): no hints")
      ("valid", po::value(&valid_path), "held-out file (or directory, for images and audio) for validation in bits/byte (none: no validation)")
      ("config", po::value(&config_name)->default_value("800k"), "model size: 200k, 800k or 3.2m (the paper's)")
      ("layers", po::value(&layers), "override the config's layers")
      ("dim", po::value(&dim), "override the config's width")
      ("heads", po::value(&heads), "override the config's heads")
      ("seq", po::value(&seq), "override the config's context length (bytes); with --resume, a sinusoidal model may change it (train on short windows, finish on long ones)")
      ("positions", po::value(&positions)->default_value("sinusoidal"), "position encoding: sinusoidal or learned")
      ("tied-head", "use the token embedding as the output matrix")
      ("steps", po::value(&steps)->default_value(1000), "optimisation steps in the whole run (the schedule's length)")
      ("batch", po::value(&batch)->default_value(8), "sequences per step, each --seq bytes")
      ("lr", po::value(&lr)->default_value(1e-3), "peak learning rate")
      ("min-lr-ratio", po::value(&min_lr_ratio)->default_value(0.1), "final learning rate as a fraction of the peak")
      ("warmup", po::value(&warmup)->default_value(100), "linear warmup steps")
      ("weight-decay", po::value(&weight_decay)->default_value(0.1), "AdamW decoupled weight decay (linear matrices only)")
      ("beta2", po::value(&beta2)->default_value(0.95), "AdamW β2")
      ("grad-clip", po::value(&grad_clip)->default_value(1.0), "clip the gradients' global norm (0: off)")
      ("out,o", po::value(&out_path)->required(), "checkpoint to write (safetensors); OUT.optimizer holds the state for --resume")
      ("resume", po::value(&resume_path), "continue from this checkpoint (and its .optimizer file)")
      ("seed", po::value(&seed), "seed for initial weights and batches (default: fresh, printed)")
      ("threads,j", po::value(&threads)->default_value(default_threads()), "threads")
      ("recompute-attention", "recompute attention's probabilities in the backward pass instead of keeping them from the forward (half precision, layers × batch × heads × seq² bytes: 540 MB for 800k at 8 x 2048): less memory, steps about 8% slower")
      ("eval-every", po::value(&eval_every)->default_value(200), "validate every N steps (0: only at the end)")
      ("valid-bytes", po::value(&valid_bytes)->default_value(262144), "validate on at most the first N bytes (0: all)")
      ("checkpoint-every", po::value(&checkpoint_every)->default_value(0), "write the checkpoint every N steps (0: at each validation)")
      ("log-every", po::value(&log_every)->default_value(10), "progress line every N steps")
      ("quiet,q", "only errors and the final summary");
  po::variables_map vm;
  if (!parse_or_help(argc, argv, options, vm,
                     "usage: zgen train --data FILE... [--data-kind text|image-patches|audio] [--augment mirror,shift]\n"
                     "                  [--valid FILE] [--config 200k|800k|3.2m] [--layers L --dim D\n"
                     "                  --heads H --seq T] [--steps N --batch B --lr LR ...] --out model.safetensors\n"
                     "                  [--resume model.safetensors] [--seed S] [--threads N]\n"
                     "Trains a decoder-only byte-level transformer (vocabulary 256, pre-LayerNorm, GELU MLP x4) with\n"
                     "AdamW, warmup + cosine learning rate and gradient clipping, on random windows of the data.\n"
                     "Progress goes to stderr; the checkpoint is a safetensors file whose metadata holds the config\n"
                     "and how it was trained (readable by Python's safetensors and PyTorch as it is)."))
    return 0;
  require_at_least("steps", steps, 1);
  require_at_least("batch", batch, 1);
  require_range("batch", static_cast<double>(batch), 1, 4096, "1..4096");
  require_at_least("warmup", warmup, 0);
  use_threads(threads);
  require_at_least("eval-every", eval_every, 0);
  require_at_least("checkpoint-every", checkpoint_every, 0);
  require_at_least("log-every", log_every, 1);
  require_at_least("valid-bytes", valid_bytes, 0);
  require_range("lr", lr, 1e-8, 1.0, "(0, 1]");
  require_range("min-lr-ratio", min_lr_ratio, 0.0, 1.0, "[0, 1]");
  require_range("weight-decay", weight_decay, 0.0, 10.0, "[0, 10]");
  require_range("beta2", beta2, 0.0, 0.99999, "[0, 1)");
  require_range("grad-clip", grad_clip, 0.0, 1e6, "[0, 1e6]");
  if (positions != "sinusoidal" && positions != "learned")
    throw UserError("--positions must be sinusoidal or learned, not '" + positions + "'");
  const ImageAugment image_augment = parse_image_augment(augment);
  if (augment != "none" && data_kind != "image-patches")
    throw UserError("--augment " + augment + " is for --data-kind image-patches, not '" + data_kind + "'");
  const bool quiet = vm.count("quiet") > 0;
  const bool seed_given = vm.count("seed") > 0;
  if (!seed_given) seed = fresh_seed();

  // The model: a fresh config, or the checkpoint's (whose shape flags must not contradict it).
  std::unique_ptr<transformer::Transformer<float>> model;
  TransformerConfig config;
  long start_step = 0;
  std::map<std::string, std::string> resumed_info;
  if (vm.count("resume")) {
    transformer::Checkpoint ck = transformer::load_checkpoint(resume_path);
    config = ck.config;
    model = std::move(ck.model);
    auto clash = [&](const char* opt, int given, int have) {
      if (vm.count(opt) && given != have)
        throw UserError(std::string("--") + opt + " " + std::to_string(given) + " contradicts the checkpoint's " +
                        std::to_string(have));
    };
    clash("layers", layers, config.layers);
    clash("dim", dim, config.dim);
    clash("heads", heads, config.heads);
    clash("raster-width", raster_width, config.raster_width);
    clash("hint-width", hint_width, config.hint_width);
    if (vm.count("seq") && seq != config.seq) {
      // No weight depends on the context length of a model with sinusoidal positions, so a run
      // may start on short windows (cheaper steps) and finish on long ones.
      if (config.learned_positions)
        throw UserError("--seq " + std::to_string(seq) + " contradicts the checkpoint's " + std::to_string(config.seq) +
                        " (its positions are learned; only a sinusoidal model's context can change on --resume)");
      TransformerConfig resized_config = config;
      resized_config.seq = seq;
      resized_config.validate();
      auto resized = std::make_unique<transformer::Transformer<float>>(resized_config);
      const auto from = model->parameters();
      std::copy(from.begin(), from.end(), resized->parameters().begin());
      config = resized_config;
      model = std::move(resized);
    }
    resumed_info = ck.metadata;
    if (!seed_given) {  // the run keeps its seed (it names the initial weights in the metadata)
      if (const auto it = resumed_info.find("train.seed"); it != resumed_info.end()) {
        try {
          seed = std::stoull(it->second);
        } catch (const std::exception&) {
        }
      }
    }
  } else {
    config = TransformerConfig::named(config_name);
    if (vm.count("layers")) config.layers = layers;
    if (vm.count("dim")) config.dim = dim;
    if (vm.count("heads")) config.heads = heads;
    if (vm.count("seq")) config.seq = seq;
    if (vm.count("raster-width")) config.raster_width = raster_width;
    if (vm.count("hint-width")) config.hint_width = hint_width;
    config.learned_positions = positions == "learned";
    config.tied_head = vm.count("tied-head") > 0;
    config.validate();
    model = std::make_unique<transformer::Transformer<float>>(config);
    model->init_weights(seed);
  }
  const int B = static_cast<int>(batch), T = config.seq;
  if (config.hint_width > 0 && data_kind != "image-patches")
    throw UserError("a model with raster hints " + std::to_string(config.hint_width) +
                    " wide reads pixels: train it with --data-kind image-patches, not '" + data_kind + "'");
  if (config.raster_width > 0 && data_kind != "image-patches")
    throw UserError("a model with raster width " + std::to_string(config.raster_width) +
                    " predicts pixels: train it with --data-kind image-patches, not '" + data_kind + "'");

  Bytes data;
  std::size_t alignment = 1;
  if (data_kind == "text") {
    data = read_inputs(data_paths);
  } else {
    TrainingData media = load_media_training_data(data_kind, data_paths, image_augment);
    data = std::move(media.bytes);
    alignment = media.alignment;
  }
  if (data.size() < static_cast<std::size_t>(T) + 1)
    throw UserError("the training data holds " + std::to_string(data.size()) + " bytes; a window needs --seq + 1 = " +
                    std::to_string(T + 1) + " (use a smaller --seq or more data)");
  Bytes valid;
  if (vm.count("valid")) {
    valid = data_kind == "text" ? read_input(valid_path) : load_media_training_data(data_kind, {valid_path}).bytes;
    if (valid.size() < 2) throw UserError("'" + valid_path + "' holds fewer than 2 bytes: nothing to validate");
  }

  // With a raster, the targets are the residuals from the median predictor, on each patch's own
  // raster (they restart at every window start, as the predictor's raster restarts at every chunk).
  Bytes train_targets, valid_targets;
  if (config.raster_width > 0) {
    train_targets = raster_residuals(data, alignment, config.raster_width);
    if (!valid.empty()) valid_targets = raster_residuals(valid, alignment, config.raster_width);
  }
  // With hints, the inputs carry the median predictor's guesses on the same rasters.
  Bytes train_hints, valid_hints;
  if (config.hint_width > 0) {
    train_hints = raster_predictions(data, alignment, config.hint_width);
    if (!valid.empty()) valid_hints = raster_predictions(valid, alignment, config.hint_width);
  }

  model->keep_attention_probs(vm.count("recompute-attention") == 0);
  transformer::AdamWOptions aopts;
  aopts.weight_decay = weight_decay;
  aopts.beta2 = beta2;
  transformer::AdamW optimizer(model->layout(), aopts);
  transformer::BatchSampler sampler(data, B, T, seed ^ 0x5DEECE66DULL, alignment, train_targets, train_hints);
  if (vm.count("resume")) {
    const std::string state_path = resume_path + ".optimizer";
    if (file_exists(state_path)) {
      const auto info = transformer::load_optimizer_state(state_path, optimizer);
      start_step = optimizer.steps();
      // The two files are written one after the other; a crash between them leaves a pair from
      // different steps, which must not be mixed silently.
      if (const auto it = resumed_info.find("train.step"); it != resumed_info.end() && it->second != std::to_string(start_step))
        throw UserError("'" + resume_path + "' is from step " + it->second + " but '" + state_path + "' from step " +
                        std::to_string(start_step) + "; remove the .optimizer file to restart the moments");
      if (const auto it = info.find("train.sampler_state"); it != info.end()) {
        try {
          sampler.set_state(std::stoull(it->second));
        } catch (const std::exception&) {
          throw UserError("'" + state_path + "': bad train.sampler_state");
        }
      }
    } else {
      std::fprintf(stderr, "zgen: warning: no '%s': AdamW moments restart from zero\n", state_path.c_str());
      if (const auto it = resumed_info.find("train.step"); it != resumed_info.end()) {
        try {
          start_step = std::stol(it->second);
        } catch (const std::exception&) {
          start_step = 0;
        }
      }
      optimizer.set_steps(start_step);
    }
    if (start_step >= steps)
      throw UserError("the checkpoint is already at step " + std::to_string(start_step) + " of --steps " +
                      std::to_string(steps) + "; raise --steps to continue");
  }

  if (!quiet) {
    std::fprintf(stderr, "model   %s\n", config.describe().c_str());
    std::fprintf(stderr, "data    %zu training bytes%s; batch %d x %d bytes; steps %ld..%lld; seed %llu; threads %lld\n",
                 data.size(), valid.empty() ? "" : (", " + std::to_string(valid.size()) + " validation bytes").c_str(), B,
                 T, start_step, steps, static_cast<unsigned long long>(seed), threads);
  }

  std::string command = "zgen";
  for (int i = 0; i < argc; ++i) command += std::string(" ") + argv[i];
  // A resumed run keeps the commands that led to its checkpoint, oldest first, one per line.
  std::string earlier_commands;
  for (const char* key : {"train.earlier_commands", "train.command"})
    if (const auto it = resumed_info.find(key); it != resumed_info.end() && !it->second.empty())
      earlier_commands += (earlier_commands.empty() ? "" : "\n") + it->second;
  double last_valid = NAN;
  std::size_t tokens_seen = 0;
  if (const auto it = resumed_info.find("train.tokens_seen"); it != resumed_info.end()) {
    try {
      tokens_seen = std::stoull(it->second);
    } catch (const std::exception&) {
    }
  }
  auto info_now = [&](long step) {
    std::map<std::string, std::string> info = {
        {"train.step", std::to_string(step)},
        {"train.steps", std::to_string(steps)},
        {"train.batch", std::to_string(B)},
        {"train.lr", std::to_string(lr)},
        {"train.min_lr_ratio", std::to_string(min_lr_ratio)},
        {"train.warmup", std::to_string(warmup)},
        {"train.weight_decay", std::to_string(weight_decay)},
        {"train.beta1", std::to_string(aopts.beta1)},
        {"train.beta2", std::to_string(beta2)},
        {"train.grad_clip", std::to_string(grad_clip)},
        {"train.seed", std::to_string(seed)},
        {"train.threads", std::to_string(threads)},
        {"train.data_bytes", std::to_string(data.size())},
        {"train.tokens_seen", std::to_string(tokens_seen)},
        {"train.command", command},
    };
    std::string files;
    for (const auto& p : data_paths) files += (files.empty() ? "" : " ") + p;
    info["train.data"] = files;
    info["train.data_kind"] = data_kind;
    if (augment != "none") info["train.augment"] = augment;
    if (!earlier_commands.empty()) info["train.earlier_commands"] = earlier_commands;
    if (!valid.empty()) info["train.valid"] = valid_path;
    if (std::isfinite(last_valid)) info["train.valid_bits_per_byte"] = std::to_string(last_valid);
    return info;
  };
  auto write_checkpoint = [&](long step) {
    transformer::save_checkpoint(out_path, *model, info_now(step));
    transformer::save_optimizer_state(out_path + ".optimizer", optimizer,
                             {{"train.sampler_state", std::to_string(sampler.state())}, {"train.step", std::to_string(step)}});
  };
  auto validate = [&](long step) {
    if (valid.empty()) return;
    const auto t0 = std::chrono::steady_clock::now();
    const transformer::EvalResult r = transformer::evaluate(*model, valid, T, B, static_cast<std::size_t>(valid_bytes), valid_targets,
                                         valid_hints);
    last_valid = r.bits_per_byte;
    if (!quiet)
      std::fprintf(stderr, "step %ld  valid %.4f bits/byte (%zu bytes, %.1fs)\n", step, r.bits_per_byte, r.predicted,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  };

  std::vector<std::uint8_t> inputs(static_cast<std::size_t>(B) * T), targets(inputs.size()), hints(inputs.size());
  const auto run_start = std::chrono::steady_clock::now();
  auto window_start = run_start;
  long window_steps = 0;
  double loss_sum = 0;
  for (long step = start_step; step < steps; ++step) {
    sampler.next(inputs.data(), targets.data(), hints.data());
    const double rate = transformer::learning_rate(step, steps, warmup, lr, min_lr_ratio);
    const transformer::StepResult r =
        transformer::train_step(*model, optimizer, inputs.data(), targets.data(), B, T, rate, grad_clip, hints.data());
    if (!std::isfinite(r.loss)) throw UserError("the loss became " + std::to_string(r.loss) + " at step " +
                                                std::to_string(step + 1) + "; try a smaller --lr");
    tokens_seen += inputs.size();
    loss_sum += r.loss;
    ++window_steps;
    const long done = step + 1;
    if (!quiet && (done % log_every == 0 || done == steps)) {
      const auto now = std::chrono::steady_clock::now();
      const double window_s = std::chrono::duration<double>(now - window_start).count();
      const double tps = static_cast<double>(window_steps) * B * T / window_s;
      const double eta = static_cast<double>(steps - done) * window_s / static_cast<double>(window_steps);
      std::fprintf(stderr, "step %ld/%lld  loss %.4f bits/byte  lr %.2e  |g| %.3f  %.0f tokens/s  ETA %s\n", done, steps,
                   loss_sum / window_steps / std::numbers::ln2, rate, r.grad_norm, tps, duration_text(eta).c_str());
      window_start = now;
      window_steps = 0;
      loss_sum = 0;
    }
    const bool eval_now = eval_every > 0 && done % eval_every == 0 && done < steps;
    if (eval_now) validate(done);
    const bool save_now = done < steps && (checkpoint_every > 0 ? done % checkpoint_every == 0 : eval_now);
    if (save_now) write_checkpoint(done);
  }
  validate(steps);
  write_checkpoint(steps);
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  std::printf("trained  %s\n", config.describe().c_str());
  std::printf("steps    %ld..%lld in %s (%.0f tokens/s)\n", start_step, steps, duration_text(total_s).c_str(),
              static_cast<double>(steps - start_step) * B * T / total_s);
  if (std::isfinite(last_valid)) std::printf("valid    %.4f bits/byte\n", last_valid);
  std::printf("wrote    %s (+ %s.optimizer for --resume)\n", out_path.c_str(), out_path.c_str());
  return 0;
}

}  // namespace zgen::cli
