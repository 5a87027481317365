// train_transformer: a whole training run (what `zgen train` runs), from the options to the
// last checkpoint: a fresh or resumed model, the optimizer and its schedule, batches, progress
// events, validation and checkpoints. The pieces of one step live in training.cpp.
//
// Bit-for-bit reproducibility rests on: the seed naming the initial weights and the sampler's
// first state; the .optimizer file holding the moments, the step count and the sampler's state
// at the checkpoint's step; and the thread count, which fixes how the teams split their sums.
// With a data-parallel group (TrainingOptions::group) also the number of processes, which fixes
// how the batch is split, and the group's sum in rank order.

#include <omp.h>
#include <sys/stat.h>

#include <chrono>
#include <exception>
#include <cmath>
#include <map>
#include <memory>
#include <numbers>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "src/media/raster_prediction.hpp"
#include "src/media/training_data.hpp"
#include "src/transformer/checkpoint.hpp"
#include "src/transformer/training.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"
#include "zgen/transformer.hpp"

namespace zgen {

namespace {

using Clock = std::chrono::steady_clock;
using transformer::Transformer;

void at_least(const char* field, long long value, long long lo) {
  if (value < lo)
    throw InvalidParameter(field, "{} must be at least " + std::to_string(lo) + ", got " + std::to_string(value));
}

void in_range(const char* field, double value, double lo, double hi, const char* range_text) {
  if (!(value >= lo && value <= hi))
    throw InvalidParameter(field, std::string("{} must be in ") + range_text + ", got " + std::to_string(value));
}

// The named size with the set fields in its place.
TransformerConfig fresh_config(const TrainingOptions& o) {
  TransformerConfig config = TransformerConfig::named(o.config);
  if (o.layers) config.layers = *o.layers;
  if (o.dim) config.dim = *o.dim;
  if (o.heads) config.heads = *o.heads;
  if (o.seq) config.seq = *o.seq;
  if (o.raster_width) config.raster_width = *o.raster_width;
  if (o.hint_width) config.hint_width = *o.hint_width;
  config.learned_positions = o.positions == "learned";
  config.tied_head = o.tied_head;
  config.validate();
  return config;
}

// Hints and residuals come from the median predictor on rows of pixels: text has none.
void check_model_reads(const TransformerConfig& config, const std::string& data_kind) {
  if (config.hint_width > 0 && data_kind != "image-patches")
    throw InvalidParameter("data_kind", "a model with raster hints " + std::to_string(config.hint_width) +
                                            " wide reads pixels: train it with {} image-patches, not '" +
                                            literal(data_kind) + "'");
  if (config.raster_width > 0 && data_kind != "image-patches")
    throw InvalidParameter("data_kind", "a model with raster width " + std::to_string(config.raster_width) +
                                            " predicts pixels: train it with {} image-patches, not '" +
                                            literal(data_kind) + "'");
}

std::size_t window_alignment(const std::string& data_kind) { return data_kind == "text" ? 1 : kChunkBytes; }

// Whole patches or chunks, as load_media_training_data gives them: the windows start at their
// boundaries and the median predictor's rasters restart there.
void check_whole_pieces(const std::string& data_kind, std::size_t bytes, const char* what) {
  const std::size_t piece = window_alignment(data_kind);
  if (bytes % piece != 0)
    throw InvalidParameter("data_kind", "{} " + literal(data_kind) + " needs whole " +
                                            std::to_string(piece) + "-byte pieces, but the " + what + " holds " +
                                            std::to_string(bytes) + " bytes");
}

// Whole digits or nothing, for the "train.*" strings a checkpoint carries.
template <typename T>
std::optional<T> metadata_number(const std::map<std::string, std::string>& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  try {
    if constexpr (std::is_same_v<T, long>) return std::stol(it->second);
    else return static_cast<T>(std::stoull(it->second));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::uint64_t fresh_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32 | rd()) % 1000000000ULL;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The run's OpenMP thread count, and the caller's back afterwards.
class ThreadScope {
 public:
  explicit ThreadScope(std::optional<long long> threads) : before_(omp_get_max_threads()) {
    if (threads && *threads >= 1) omp_set_num_threads(static_cast<int>(*threads));  // validate() refuses the rest
  }
  ~ThreadScope() { omp_set_num_threads(before_); }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int before_;
};

// The model to train and what its checkpoint said, if it was resumed.
struct StartingPoint {
  std::unique_ptr<Transformer<float>> model;
  std::map<std::string, std::string> resumed;  // the resumed checkpoint's metadata; empty when fresh
  std::uint64_t seed = 0;
};

StartingPoint resume_model(const TrainingOptions& o) {
  transformer::Checkpoint ck = transformer::load_checkpoint(o.resume);
  StartingPoint start{std::move(ck.model), std::move(ck.metadata)};
  TransformerConfig config = ck.config;
  auto clash = [](const char* field, const std::optional<int>& given, int have) {
    if (given && *given != have)
      throw InvalidParameter(field, "{} " + std::to_string(*given) + " contradicts the checkpoint's " + std::to_string(have));
  };
  clash("layers", o.layers, config.layers);
  clash("dim", o.dim, config.dim);
  clash("heads", o.heads, config.heads);
  clash("raster_width", o.raster_width, config.raster_width);
  clash("hint_width", o.hint_width, config.hint_width);
  if (o.seq && *o.seq != config.seq) {
    // No weight depends on the context length of a model with sinusoidal positions, so a run
    // may start on short windows (cheaper steps) and finish on long ones.
    if (config.learned_positions)
      throw InvalidParameter("seq", "{} " + std::to_string(*o.seq) + " contradicts the checkpoint's " +
                                        std::to_string(config.seq) +
                                        " (its positions are learned; only a sinusoidal model's context can change on {resume})");
    config.seq = *o.seq;
    config.validate();
    auto resized = std::make_unique<Transformer<float>>(config);
    const auto from = start.model->parameters();
    std::copy(from.begin(), from.end(), resized->parameters().begin());
    start.model = std::move(resized);
  }
  // The run keeps its seed (it names the initial weights in the metadata).
  const auto seed = metadata_number<std::uint64_t>(start.resumed, "train.seed");
  start.seed = o.seed ? *o.seed : seed ? *seed : fresh_seed();
  return start;
}

StartingPoint fresh_model(const TrainingOptions& o) {
  StartingPoint start;
  start.seed = o.seed ? *o.seed : fresh_seed();
  start.model = std::make_unique<Transformer<float>>(fresh_config(o));
  start.model->init_weights(start.seed);
  return start;
}

// Restores the optimizer and the sampler from `resume`.optimizer (or, without it, only the step
// count from the checkpoint). Returns the step the run continues from.
long restore_optimizer(const TrainingOptions& o, const std::map<std::string, std::string>& resumed,
                       transformer::AdamW& optimizer, transformer::BatchSampler& sampler, bool& moments_restarted) {
  const std::string state_path = o.resume + ".optimizer";
  const auto checkpoint_step = resumed.find("train.step");
  if (!file_exists(state_path)) {
    moments_restarted = true;
    const long step = metadata_number<long>(resumed, "train.step").value_or(0);
    optimizer.set_steps(step);
    return step;
  }
  const auto info = transformer::load_optimizer_state(state_path, optimizer);
  const long step = optimizer.steps();
  // The two files are written one after the other; a crash between them leaves a pair from
  // different steps, which must not be mixed silently.
  if (checkpoint_step != resumed.end() && checkpoint_step->second != std::to_string(step))
    throw UserError("'" + o.resume + "' is from step " + checkpoint_step->second + " but '" + state_path +
                    "' from step " + std::to_string(step) + "; remove the .optimizer file to restart the moments");
  if (const auto it = info.find("train.sampler_state"); it != info.end()) {
    try {
      sampler.set_state(std::stoull(it->second));
    } catch (const std::exception&) {
      throw UserError("'" + state_path + "': bad train.sampler_state");
    }
  }
  return step;
}

// Runs `work` on every member (everyone) or on member 0 alone, then, in a group, agrees on
// whether it failed anywhere, so that no member goes on to wait for one that has stopped. A
// member rethrows its own failure; member 0's failure is the one reported, so the others throw
// PeerFailed when it failed (an error every member meets, such as a bad option, is reported
// once), and a member that failed alone reports its own.
template <typename Work>
void together(DataParallelGroup* group, bool everyone, Work&& work) {
  if (!group) {
    work();
    return;
  }
  const int rank = group->rank();
  std::exception_ptr failure;
  if (everyone || rank == 0) {
    try {
      work();
    } catch (...) {
      failure = std::current_exception();
    }
  }
  std::vector<double> failed(static_cast<std::size_t>(group->size()), 0.0);
  failed[static_cast<std::size_t>(rank)] = failure ? 1 : 0;
  group->sum(std::span<double>(failed));
  if (failed[0] != 0 && rank != 0) throw PeerFailed("process 0 of the training group failed");
  if (failure) std::rethrow_exception(failure);
  for (std::size_t r = 0; r < failed.size(); ++r)
    if (failed[r] != 0) throw PeerFailed("process " + std::to_string(r) + " of the training group failed");
}

}  // namespace

void validate(const TrainingOptions& o) {
  at_least("steps", o.steps, 1);
  at_least("batch", o.batch, 1);
  in_range("batch", static_cast<double>(o.batch), 1, 4096, "1..4096");
  at_least("warmup", o.warmup, 0);
  if (o.threads) at_least("threads", *o.threads, 1);
  at_least("eval_every", o.eval_every, 0);
  at_least("checkpoint_every", o.checkpoint_every, 0);
  at_least("log_every", o.log_every, 1);
  at_least("valid_bytes", o.valid_bytes, 0);
  in_range("lr", o.lr, 1e-8, 1.0, "(0, 1]");
  in_range("min_lr_ratio", o.min_lr_ratio, 0.0, 1.0, "[0, 1]");
  in_range("weight_decay", o.weight_decay, 0.0, 10.0, "[0, 10]");
  in_range("beta2", o.beta2, 0.0, 0.99999, "[0, 1)");
  in_range("grad_clip", o.grad_clip, 0.0, 1e6, "[0, 1e6]");
  if (o.positions != "sinusoidal" && o.positions != "learned")
    throw InvalidParameter("positions",
                           "{} must be sinusoidal or learned, not '" + literal(o.positions) + "'");
  parse_image_augment(o.augment);
  if (o.augment != "none" && o.data_kind != "image-patches")
    throw InvalidParameter("augment", "{} " + literal(o.augment) + " is for {data_kind} image-patches, not '" +
                                          literal(o.data_kind) + "'");
  if (o.resume.empty()) check_model_reads(fresh_config(o), o.data_kind);
  if (o.data_kind != "text" && o.data_kind != "image-patches" && o.data_kind != "audio")
    throw InvalidParameter("data_kind", "unknown {} '" + literal(o.data_kind) +
                                            "' (kinds: text, image-patches, audio)");
  if (o.out.empty()) throw InvalidParameter("out", "{} must name the checkpoint to write");
}

TrainingSummary train_transformer(const TrainingOptions& o, ByteView data, ByteView valid,
                                  const std::function<void(const TrainingProgress&)>& progress) {
  DataParallelGroup* const group = o.group && o.group->size() > 1 ? o.group : nullptr;
  const int members = group ? group->size() : 1, member = group ? group->rank() : 0;
  const ThreadScope thread_scope(o.threads);
  const long long threads = o.threads ? *o.threads : omp_get_max_threads();
  const bool resuming = !o.resume.empty();

  // Everything before the first step, on every member, then agreed on (a member that cannot
  // read the checkpoint to resume must not leave the others waiting in the first sum).
  StartingPoint start;
  Bytes train_targets, valid_targets, train_hints, valid_hints;
  std::optional<transformer::AdamW> optimizer_slot;
  std::optional<transformer::BatchSampler> sampler_slot;
  transformer::AdamWOptions adamw;
  TrainingSummary run;
  std::size_t alignment = 1;
  together(group, true, [&] {
    validate(o);
    if (o.batch < members)
      throw InvalidParameter("batch", "{} " + std::to_string(o.batch) + " is smaller than the " + std::to_string(members) +
                                          " processes training together: each needs at least one window of every batch");
    start = resuming ? resume_model(o) : fresh_model(o);
    const TransformerConfig& config = start.model->config();
    const int T = config.seq;
    check_model_reads(config, o.data_kind);
    if (data.size() < static_cast<std::size_t>(T) + 1)
      throw InvalidParameter("seq", "the training data holds " + std::to_string(data.size()) + " bytes; a window needs {} + 1 = " +
                                        std::to_string(T + 1) + " (use a smaller {} or more data)");
    check_whole_pieces(o.data_kind, data.size(), "training data");
    if (!valid.empty() && valid.size() < 2)
      throw InvalidParameter("valid", "the held-out data holds fewer than 2 bytes: nothing to validate");
    check_whole_pieces(o.data_kind, valid.size(), "held-out data");

    // With a raster, the targets are the residuals from the median predictor, on each patch's own
    // raster (they restart at every window start, as the predictor's raster restarts at every chunk).
    alignment = window_alignment(o.data_kind);
    if (config.raster_width > 0) {
      train_targets = raster_residuals(data, alignment, config.raster_width);
      if (!valid.empty()) valid_targets = raster_residuals(valid, alignment, config.raster_width);
    }
    // With hints, the inputs carry the median predictor's guesses on the same rasters.
    if (config.hint_width > 0) {
      train_hints = raster_predictions(data, alignment, config.hint_width);
      if (!valid.empty()) valid_hints = raster_predictions(valid, alignment, config.hint_width);
    }

    start.model->keep_attention_probs(!o.recompute_attention);
    adamw.weight_decay = o.weight_decay;
    adamw.beta2 = o.beta2;
    optimizer_slot.emplace(start.model->layout(), adamw);
    // Every member draws the whole batch (the same windows, whatever their number).
    sampler_slot.emplace(data, static_cast<int>(o.batch), T, start.seed ^ 0x5DEECE66DULL, alignment, train_targets,
                         train_hints);
    run.config = config;
    run.seed = start.seed;
    run.steps = o.steps;
    run.data_bytes = data.size();
    run.valid_data_bytes = valid.size();
    if (resuming) {
      run.start_step = restore_optimizer(o, start.resumed, *optimizer_slot, *sampler_slot, run.moments_restarted);
      if (run.start_step >= o.steps)
        throw InvalidParameter("steps", "the checkpoint is already at step " + std::to_string(run.start_step) + " of {} " +
                                            std::to_string(o.steps) + "; raise {} to continue");
    }
  });
  Transformer<float>& model = *start.model;
  const TransformerConfig& config = model.config();
  const int B = static_cast<int>(o.batch), T = config.seq;
  transformer::AdamW& optimizer = *optimizer_slot;
  transformer::BatchSampler& sampler = *sampler_slot;
  // This member's windows of each batch: [first_window, first_window + my_windows).
  const int first_window = B * member / members, my_windows = B * (member + 1) / members - first_window;
  const double share = static_cast<double>(my_windows) / B;

  run.step = run.start_step;
  run.tokens_seen = metadata_number<std::uint64_t>(start.resumed, "train.tokens_seen").value_or(0);
  // Member 0 alone hears the events (and writes the checkpoints); its failure stops everyone.
  auto report = [&](TrainingProgress& p) {
    p.run = run;
    // Agreed on whether or not this member was given a callback: the members meet here alike.
    together(group, false, [&] {
      if (progress) progress(p);
    });
  };
  const auto run_start = Clock::now();
  auto seconds_since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  {
    TrainingProgress started;
    report(started);
  }

  // A resumed run keeps the commands that led to its checkpoint, oldest first, one per line.
  std::string earlier_commands;
  for (const char* key : {"train.earlier_commands", "train.command"})
    if (const auto it = start.resumed.find(key); it != start.resumed.end() && !it->second.empty())
      earlier_commands += (earlier_commands.empty() ? "" : "\n") + it->second;
  auto info_now = [&](long step) {
    std::map<std::string, std::string> info = {
        {"train.step", std::to_string(step)},
        {"train.steps", std::to_string(o.steps)},
        {"train.batch", std::to_string(B)},
        {"train.lr", std::to_string(o.lr)},
        {"train.min_lr_ratio", std::to_string(o.min_lr_ratio)},
        {"train.warmup", std::to_string(o.warmup)},
        {"train.weight_decay", std::to_string(o.weight_decay)},
        {"train.beta1", std::to_string(adamw.beta1)},
        {"train.beta2", std::to_string(o.beta2)},
        {"train.grad_clip", std::to_string(o.grad_clip)},
        {"train.seed", std::to_string(start.seed)},
        {"train.threads", std::to_string(threads)},
        {"train.data_bytes", std::to_string(data.size())},
        {"train.tokens_seen", std::to_string(run.tokens_seen)},
        {"train.command", o.command},
        {"train.data", o.data_source},
        {"train.data_kind", o.data_kind},
    };
    if (members > 1) info["train.processes"] = std::to_string(members);  // threads is per process then
    if (o.augment != "none") info["train.augment"] = o.augment;
    if (!earlier_commands.empty()) info["train.earlier_commands"] = earlier_commands;
    if (!valid.empty()) info["train.valid"] = o.valid_source;
    if (std::isfinite(run.valid_bits_per_byte)) info["train.valid_bits_per_byte"] = std::to_string(run.valid_bits_per_byte);
    return info;
  };
  auto write_checkpoint = [&](long step) {
    together(group, false, [&] {
      transformer::save_checkpoint(o.out, model, info_now(step));
      transformer::save_optimizer_state(o.out + ".optimizer", optimizer,
                                        {{"train.sampler_state", std::to_string(sampler.state())},
                                         {"train.step", std::to_string(step)}});
    });
  };
  auto validate_now = [&]() {
    if (valid.empty()) return;
    const auto t0 = Clock::now();
    const transformer::EvalResult r = transformer::evaluate(model, valid, T, B, static_cast<std::size_t>(o.valid_bytes),
                                                            valid_targets, valid_hints, group);
    run.valid_bits_per_byte = r.bits_per_byte;
    TrainingProgress p;
    p.event = TrainingProgress::Event::validated;
    p.valid_predicted = r.predicted;
    p.valid_seconds = seconds_since(t0);
    run.seconds = seconds_since(run_start);
    report(p);
  };

  std::vector<std::uint8_t> inputs(static_cast<std::size_t>(B) * T), targets(inputs.size()), hints(inputs.size());
  const std::size_t mine = static_cast<std::size_t>(first_window) * T;  // this member's windows start here
  auto window_start = run_start;  // the steps since the last step event
  long window_steps = 0;
  double loss_sum = 0;
  for (long step = static_cast<long>(run.start_step); step < o.steps; ++step) {
    sampler.next(inputs.data(), targets.data(), hints.data());
    const double rate = transformer::learning_rate(step, static_cast<long>(o.steps), static_cast<long>(o.warmup), o.lr,
                                                   o.min_lr_ratio);
    const transformer::StepResult r =
        transformer::train_step(model, optimizer, inputs.data() + mine, targets.data() + mine, my_windows, T, rate,
                                o.grad_clip, hints.data() + mine, group, share);
    // The loss is the whole batch's, the same on every member: all stop here together.
    if (!std::isfinite(r.loss))
      throw InvalidParameter("lr", "the loss became " + std::to_string(r.loss) + " at step " + std::to_string(step + 1) +
                                       "; try a smaller {}");
    run.tokens_seen += inputs.size();
    loss_sum += r.loss;
    ++window_steps;
    const long done = step + 1;
    run.step = done;
    if (done % o.log_every == 0 || done == o.steps) {
      const auto now = Clock::now();
      const double window_s = std::chrono::duration<double>(now - window_start).count();
      TrainingProgress p;
      p.event = TrainingProgress::Event::step;
      p.loss_bits_per_byte = loss_sum / window_steps / std::numbers::ln2;
      p.learning_rate = rate;
      p.grad_norm = r.grad_norm;
      p.tokens_per_second = static_cast<double>(window_steps) * B * T / window_s;
      p.eta_seconds = static_cast<double>(o.steps - done) * window_s / static_cast<double>(window_steps);
      run.seconds = std::chrono::duration<double>(now - run_start).count();
      report(p);
      window_start = now;
      window_steps = 0;
      loss_sum = 0;
    }
    const bool eval_now = o.eval_every > 0 && done % o.eval_every == 0 && done < o.steps;
    if (eval_now) validate_now();
    const bool save_now = done < o.steps && (o.checkpoint_every > 0 ? done % o.checkpoint_every == 0 : eval_now);
    if (save_now) write_checkpoint(done);
  }
  validate_now();
  write_checkpoint(static_cast<long>(o.steps));
  run.seconds = seconds_since(run_start);
  return run;
}

}  // namespace zgen
