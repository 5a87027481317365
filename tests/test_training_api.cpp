// train_transformer, the library's training run, against `zgen train`: the same settings give
// the same checkpoint and optimizer state, byte for byte, fresh and resumed; a resumed run
// continues as if it had never stopped; progress events come when the CLI prints its lines;
// bad options are InvalidParameter naming their fields.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "src/media/training_data.hpp"
#include "src/transformer/checkpoint.hpp"
#include "tests/cli_runner.hpp"
#include "zgen/errors.hpp"
#include "zgen/transformer.hpp"

using namespace zgen;
using zgen::test::run_zgen;
using zgen::test::slurp;

namespace {

const std::string kData = std::string(ZGEN_TEST_DATA);
const std::string kText = kData + "/sotu-valid-30k.txt", kValid = kData + "/sotu-valid-70k.txt";

std::string tmp(const std::string& name) { return "/tmp/zgen-test-train-api-" + std::to_string(::getpid()) + "-" + name; }

void remove_checkpoint(const std::string& path) {
  std::remove(path.c_str());
  std::remove((path + ".optimizer").c_str());
}

// A tiny model's options, as `zgen train` fills them from kTinyFlags.
TrainingOptions tiny_options(const std::string& out) {
  TrainingOptions o;
  o.layers = 1;
  o.dim = 16;
  o.heads = 2;
  o.seq = 32;
  o.batch = 4;
  o.steps = 6;
  o.warmup = 2;
  o.threads = 1;
  o.seed = 3;
  o.out = out;
  return o;
}
const std::string kTinyFlags = "--layers 1 --dim 16 --heads 2 --seq 32 --batch 4 --steps 6 --warmup 2 --threads 1 --seed 3";

// Runs `zgen ARGS` (no quoting needed: no path here holds a space) and returns the command
// string it records in its checkpoint, for the library run to record the same.
std::string run_cli(const std::string& args) {
  const auto r = run_zgen(args + " --quiet");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return "zgen " + args + " --quiet";
}

bool same_files(const std::string& a, const std::string& b) {
  const std::string x = slurp(a), y = slurp(b);
  return !x.empty() && x == y;
}

Bytes read_bytes(const std::string& path) {
  const std::string s = slurp(path);
  return Bytes(s.begin(), s.end());
}

}  // namespace

TEST_CASE("train_transformer writes the checkpoint zgen train writes, and reports what it prints") {
  const std::string cli_out = tmp("cli.safetensors"), api_out = tmp("api.safetensors");
  TrainingOptions o = tiny_options(api_out);
  o.eval_every = 3;
  o.valid_bytes = 2000;
  o.log_every = 4;
  o.lr = 3e-3;
  o.data_source = kText;
  o.valid_source = kValid;
  o.command = run_cli("train --data " + kText + " --valid " + kValid + " --eval-every 3 --valid-bytes 2000 --log-every 4 " +
                      "--lr 3e-3 " + kTinyFlags + " --out " + cli_out);

  std::vector<TrainingProgress> events;
  const TrainingSummary s = train_transformer(o, read_bytes(kText), read_bytes(kValid),
                                              [&](const TrainingProgress& p) { events.push_back(p); });
  CHECK(same_files(api_out, cli_out));
  CHECK(same_files(api_out + ".optimizer", cli_out + ".optimizer"));

  // started; step 4 (log_every); validated at 3 and at the end; step 6 (the last).
  using Event = TrainingProgress::Event;
  REQUIRE(events.size() == 5);
  CHECK(events[0].event == Event::started);
  CHECK(events[0].run.step == 0);
  CHECK(events[0].run.config.dim == 16);
  CHECK(events[0].run.seed == 3);
  CHECK(std::isnan(events[0].run.valid_bits_per_byte));
  CHECK(events[1].event == Event::validated);
  CHECK(events[1].run.step == 3);
  CHECK(events[1].valid_predicted == 1999);  // every byte of the first 2000 but the first
  CHECK(events[2].event == Event::step);
  CHECK(events[2].run.step == 4);
  CHECK(events[3].event == Event::step);
  CHECK(events[3].run.step == 6);
  CHECK(events[4].event == Event::validated);
  // A fresh byte-level model starts near 8 bits per byte; the steps' mean loss says so.
  CHECK(events[2].loss_bits_per_byte > 6.0);
  CHECK(events[2].loss_bits_per_byte < 8.5);
  CHECK(events[3].learning_rate < o.lr);  // the cosine's tail
  CHECK(events[3].grad_norm > 0);
  CHECK(s.step == 6);
  CHECK(s.start_step == 0);
  CHECK(s.tokens_seen == 6 * 4 * 32);
  CHECK(s.valid_bits_per_byte == events[4].run.valid_bits_per_byte);
  CHECK(transformer::load_checkpoint(api_out).metadata.at("train.valid_bits_per_byte") ==
        std::to_string(s.valid_bits_per_byte));

  // The CLI prints its progress lines from these events.
  const auto printed = run_zgen("train --data " + kText + " --valid " + kValid +
                                " --eval-every 3 --valid-bytes 2000 --log-every 4 --lr 3e-3 " + kTinyFlags + " --out " +
                                tmp("printed.safetensors"));
  remove_checkpoint(tmp("printed.safetensors"));
  for (const TrainingProgress& p : events) {
    char line[200];
    if (p.event == Event::step)
      std::snprintf(line, sizeof line, "step %lld/6  loss %.4f bits/byte  lr %.2e  |g| %.3f  ", p.run.step,
                    p.loss_bits_per_byte, p.learning_rate, p.grad_norm);
    else if (p.event == Event::validated)
      std::snprintf(line, sizeof line, "step %lld  valid %.4f bits/byte (1999 bytes, ", p.run.step, p.run.valid_bits_per_byte);
    else
      std::snprintf(line, sizeof line, "steps 0..6; seed 3; threads 1\n");
    CHECK_MESSAGE(printed.err.find(line) != std::string::npos, line);
  }

  // Again in this process, whose heap now holds what the first run freed: the same bytes (the
  // activations' alignment no longer depends on what the heap held: huge_page_allocator.hpp).
  std::vector<char> hole(100000, 1);  // and something left on the heap in between
  const Bytes text = read_bytes(kText), valid = read_bytes(kValid);
  o.out = tmp("again.safetensors");
  train_transformer(o, text, valid);
  CHECK(same_files(o.out, cli_out));
  CHECK(same_files(o.out + ".optimizer", cli_out + ".optimizer"));
  remove_checkpoint(o.out);
  remove_checkpoint(cli_out);
  remove_checkpoint(api_out);
}

TEST_CASE("train_transformer resumes as zgen train does, and continues as if it had never stopped") {
  const std::string first = tmp("first.safetensors"), straight = tmp("straight.safetensors"),
                    api_out = tmp("resumed-api.safetensors"), cli_out = tmp("resumed-cli.safetensors");
  const Bytes text = read_bytes(kText);

  // Ten steps in one run.
  TrainingOptions o = tiny_options(straight);
  o.steps = 10;
  o.data_source = kText;
  o.command = "zgen train (the first run)";
  const TrainingSummary whole = train_transformer(o, text);

  // The same run, stopped by its progress callback at step 5, after the checkpoint at step 4.
  o.out = first;
  o.checkpoint_every = 4;
  o.log_every = 1;
  struct Stop {};
  CHECK_THROWS_AS(train_transformer(o, text, {},
                                    [](const TrainingProgress& p) {
                                      if (p.run.step == 5) throw Stop{};
                                    }),
                  Stop);
  REQUIRE(transformer::load_checkpoint(first).metadata.at("train.step") == "4");

  // Resumed to the end by the library and by the CLI: the same bytes.
  TrainingOptions r;
  r.resume = first;
  r.steps = 10;
  r.warmup = 2;
  r.batch = 4;
  r.threads = 1;
  r.out = api_out;
  r.data_source = kText;
  r.command = run_cli("train --data " + kText + " --resume " + first + " --steps 10 --warmup 2 --batch 4 --threads 1 --out " +
                      cli_out);
  const TrainingSummary s = train_transformer(r, text);
  CHECK(s.start_step == 4);
  CHECK(s.seed == 3);  // the checkpoint's
  CHECK_FALSE(s.moments_restarted);
  CHECK(s.tokens_seen == whole.tokens_seen);
  CHECK(same_files(api_out, cli_out));
  CHECK(same_files(api_out + ".optimizer", cli_out + ".optimizer"));
  const auto resumed = transformer::load_checkpoint(api_out);
  CHECK(resumed.metadata.at("train.earlier_commands") == "zgen train (the first run)");

  // The weights and the optimizer's state are the uninterrupted run's, bit for bit.
  const auto one_go = transformer::load_checkpoint(straight);
  const auto p0 = one_go.model->parameters(), p1 = resumed.model->parameters();
  REQUIRE(p0.size() == p1.size());
  CHECK(std::equal(p0.begin(), p0.end(), p1.begin()));
  CHECK(same_files(api_out + ".optimizer", straight + ".optimizer"));

  // A sinusoidal model continues on longer windows, as with zgen train --seq.
  r.seq = 64;
  r.command = run_cli("train --data " + kText + " --resume " + first + " --seq 64 --steps 10 --warmup 2 --batch 4 --threads 1 " +
                      "--out " + cli_out);
  CHECK(train_transformer(r, text).config.seq == 64);
  CHECK(same_files(api_out, cli_out));
  CHECK(same_files(api_out + ".optimizer", cli_out + ".optimizer"));

  // Without the .optimizer file the moments restart from zero (the CLI warns).
  remove_checkpoint(cli_out);
  std::remove((first + ".optimizer").c_str());
  r.seq.reset();
  const TrainingSummary restarted = train_transformer(r, text);
  CHECK(restarted.moments_restarted);
  CHECK(restarted.start_step == 4);
  const auto warned = run_zgen("train --data " + kText + " --resume " + first + " --steps 10 --threads 1 --out " + cli_out);
  CHECK(warned.err.find("warning: no '" + first + ".optimizer'") != std::string::npos);
  for (const auto& f : {first, straight, api_out, cli_out}) remove_checkpoint(f);
}

TEST_CASE("train_transformer on image patches with raster hints writes zgen train's checkpoint") {
  const std::string png = kData + "/camera-crop-64x48.png", jpg = kData + "/nagasaki-boats-96x64.jpg";
  const std::string cli_out = tmp("patches-cli.safetensors"), api_out = tmp("patches-api.safetensors");
  TrainingOptions o = tiny_options(api_out);
  o.data_kind = "image-patches";
  o.augment = "mirror";
  o.seq = 2048;
  o.hint_width = 64;
  o.batch = 2;
  o.steps = 3;
  o.data_source = png + " " + jpg;
  o.valid_source = jpg;
  o.command = run_cli("train --data-kind image-patches --augment mirror --data " + png + " " + jpg + " --valid " + jpg +
                      " --hint-width 64 --layers 1 --dim 16 --heads 2 --seq 2048 --batch 2 --steps 3 --warmup 2 --threads 1 " +
                      "--seed 3 --out " + cli_out);
  const TrainingData data = load_media_training_data("image-patches", {png, jpg}, {.mirror = true});
  const TrainingData valid = load_media_training_data("image-patches", {jpg});
  const TrainingSummary s = train_transformer(o, data.bytes, valid.bytes);
  CHECK(s.config.hint_width == 64);
  CHECK(std::isfinite(s.valid_bits_per_byte));
  CHECK(same_files(api_out, cli_out));
  CHECK(same_files(api_out + ".optimizer", cli_out + ".optimizer"));

  // The data must be whole patches: the windows start at their boundaries.
  const Bytes ragged(data.bytes.begin(), data.bytes.end() - 1);
  try {
    train_transformer(o, ragged);
    FAIL("ragged patches were accepted");
  } catch (const InvalidParameter& e) {
    CHECK(e.parameter() == "data_kind");
  }
  remove_checkpoint(cli_out);
  remove_checkpoint(api_out);
}

TEST_CASE("train_transformer: bad options are InvalidParameter naming the field, as the CLI's flags") {
  const std::string out = tmp("bad.safetensors");
  const Bytes text = read_bytes(kText);
  // The field named, and the message with that name where the CLI puts its flag.
  auto refused = [&](const TrainingOptions& o, const std::string& field, const std::string& message,
                     ByteView data = {}, ByteView valid = {}) {
    CAPTURE(field);
    try {
      train_transformer(o, data, valid);
      FAIL("accepted");
    } catch (const InvalidParameter& e) {
      CHECK(e.parameter() == field);
      CHECK(std::string(e.what()) == message);
    }
  };
  TrainingOptions o = tiny_options(out);
  o.steps = 0;
  refused(o, "steps", "steps must be at least 1, got 0");
  CHECK_THROWS_AS(validate(o), InvalidParameter);
  o = tiny_options(out);
  o.batch = 5000;
  refused(o, "batch", "batch must be in 1..4096, got 5000.000000");
  o = tiny_options(out);
  o.threads = 0;
  refused(o, "threads", "threads must be at least 1, got 0");
  o = tiny_options(out);
  o.beta2 = 1;
  refused(o, "beta2", "beta2 must be in [0, 1), got 1.000000");
  o = tiny_options(out);
  o.positions = "rotary";
  refused(o, "positions", "positions must be sinusoidal or learned, not 'rotary'");
  o = tiny_options(out);
  o.augment = "mirror";
  refused(o, "augment", "augment mirror is for data_kind image-patches, not 'text'");
  o = tiny_options(out);
  o.data_kind = "video";
  refused(o, "data_kind", "unknown data_kind 'video' (kinds: text, image-patches, audio)");
  o = tiny_options(out);
  o.seq = 256;
  o.raster_width = 64;
  refused(o, "data_kind", "a model with raster width 64 predicts pixels: train it with data_kind image-patches, not 'text'");
  o = tiny_options("");
  refused(o, "out", "out must name the checkpoint to write");
  o = tiny_options(out);
  refused(o, "seq", "the training data holds 9 bytes; a window needs seq + 1 = 33 (use a smaller seq or more data)",
          Bytes(9, 'x'));
  // A config that cannot be built is a UserError from TransformerConfig.
  o.heads = 3;
  CHECK_THROWS_AS(validate(o), UserError);

  // validate() reads no file; train_transformer reads the checkpoint to resume.
  o = tiny_options(out);
  o.resume = tmp("missing.safetensors");
  CHECK_NOTHROW(validate(o));
  CHECK_THROWS_AS(train_transformer(o, text), UserError);

  // Resuming: the checkpoint's shape, its step, its positions.
  o = tiny_options(out);
  o.positions = "learned";
  train_transformer(o, text);  // 6 steps
  o = tiny_options(tmp("never.safetensors"));
  o.resume = out;
  o.dim = 32;
  refused(o, "dim", "dim 32 contradicts the checkpoint's 16", text);
  o.dim.reset();
  refused(o, "steps", "the checkpoint is already at step 6 of steps 6; raise steps to continue", text);
  o.steps = 8;
  o.seq = 64;
  refused(o, "seq",
          "seq 64 contradicts the checkpoint's 32 (its positions are learned; only a sinusoidal model's context can "
          "change on resume)",
          text);
  remove_checkpoint(out);
}

TEST_CASE("train_transformer runs on options.threads and gives the caller's setting back") {
  const std::string out = tmp("threads.safetensors");
  omp_set_num_threads(2);
  TrainingOptions o = tiny_options(out);
  o.steps = 1;
  int threads_inside = 0;
  train_transformer(o, read_bytes(kText), {}, [&](const TrainingProgress&) { threads_inside = omp_get_max_threads(); });
  CHECK(threads_inside == 1);
  CHECK(omp_get_max_threads() == 2);
  CHECK(transformer::load_checkpoint(out).metadata.at("train.threads") == "1");
  remove_checkpoint(out);
}
