// zgen train end to end on a tiny model: a checkpoint that loads, resume, and one-line errors
// (exit 2) for bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "src/transformer/checkpoint.hpp"
#include "tests/cli_runner.hpp"

using namespace zgen;
using zgen::test::run_zgen;

namespace {

const std::string kData = std::string(ZGEN_TEST_DATA) + "/sotu-valid-70k.txt";
const std::string kTiny = " --layers 1 --dim 16 --heads 2 --seq 32 --batch 4 --threads 1 --seed 3 --warmup 2 --quiet";

std::string tmp(const std::string& name) { return "/tmp/zgen-test-train-" + std::to_string(::getpid()) + "-" + name; }

}  // namespace

TEST_CASE("zgen train writes a loadable checkpoint with its training metadata, and resumes") {
  const std::string out = tmp("m.safetensors");
  auto r = run_zgen("train --data '" + kData + "' --valid '" + kData + "' --valid-bytes 2000 --steps 6 --out '" + out +
                    "'" + kTiny);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("valid") != std::string::npos);
  auto ck = transformer::load_checkpoint(out);
  CHECK(ck.config.dim == 16);
  CHECK(ck.metadata.at("train.step") == "6");
  CHECK(ck.metadata.at("train.seed") == "3");
  CHECK(ck.metadata.count("train.valid_bits_per_byte") == 1);

  r = run_zgen("train --data '" + kData + "' --steps 9 --resume '" + out + "' --out '" + out + "'" + kTiny);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(transformer::load_checkpoint(out).metadata.at("train.step") == "9");

  // Contradicting the checkpoint's shape, or resuming past --steps, is refused.
  r = run_zgen("train --data '" + kData + "' --steps 12 --dim 32 --resume '" + out + "' --out '" + out + "'" + kTiny);
  CHECK(r.exit_code == 2);
  r = run_zgen("train --data '" + kData + "' --steps 9 --resume '" + out + "' --out '" + out + "'" + kTiny);
  CHECK(r.exit_code == 2);
  std::remove(out.c_str());
  std::remove((out + ".optimizer").c_str());
}

TEST_CASE("zgen train: a sinusoidal model resumes on longer windows, a learned-position one refuses") {
  // Without --seq and --batch in the flags: each command names its own.
  const std::string tiny = " --layers 1 --dim 16 --heads 2 --threads 1 --seed 3 --warmup 2 --quiet";
  const std::string out = tmp("grow.safetensors"), grown = tmp("grown.safetensors");
  auto r = run_zgen("train --data '" + kData + "' --seq 32 --batch 4 --steps 6 --out '" + out + "'" + tiny);
  REQUIRE(r.exit_code == 0);
  const auto before = transformer::load_checkpoint(out);

  // A small learning rate, so that the weights barely move from phase 1's: a fresh start (the
  // same seed gives phase 1's initial weights) would sit 6 steps of lr 1e-3 away.
  r = run_zgen("train --data '" + kData + "' --seq 64 --batch 2 --lr 1e-5 --steps 8 --resume '" + out + "' --out '" +
               grown + "'" + tiny);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const auto after = transformer::load_checkpoint(grown);
  CHECK(after.config.seq == 64);
  CHECK(after.metadata.at("train.step") == "8");
  CHECK(after.metadata.at("train.earlier_commands").find("--seq 32") != std::string::npos);
  const auto p0 = before.model->parameters(), p1 = after.model->parameters();
  REQUIRE(p0.size() == p1.size());
  float moved = 0;
  for (std::size_t i = 0; i < p0.size(); ++i) moved = std::max(moved, std::abs(p1[i] - p0[i]));
  CHECK(moved < 1e-3f);

  r = run_zgen("train --data '" + kData + "' --seq 32 --positions learned --steps 6 --out '" + out + "'" + tiny);
  REQUIRE(r.exit_code == 0);
  r = run_zgen("train --data '" + kData + "' --seq 64 --steps 8 --resume '" + out + "' --out '" + grown + "'" + tiny);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("learned") != std::string::npos);
  for (const auto& f : {out, grown}) {
    std::remove(f.c_str());
    std::remove((f + ".optimizer").c_str());
  }
}

TEST_CASE("zgen train: bad input is a one-line error and exit code 2") {
  const std::string out = tmp("bad.safetensors");
  const std::string garbage = tmp("garbage.safetensors");
  { std::ofstream(garbage) << "definitely not safetensors"; }
  const std::string tiny_file = tmp("tiny.txt");
  { std::ofstream(tiny_file) << "too short"; }
  const std::string cases[] = {
      "train --data /nonexistent --out '" + out + "'" + kTiny,
      "train --data '" + tiny_file + "' --out '" + out + "'" + kTiny,  // shorter than a window
      "train --data '" + kData + "' --config 5b --out '" + out + "'",
      "train --data '" + kData + "' --heads 3 --out '" + out + "'" + kTiny,
      "train --data '" + kData + "' --lr -1 --out '" + out + "'" + kTiny,
      "train --data '" + kData + "' --positions rotary --out '" + out + "'" + kTiny,
      "train --data '" + kData + "' --resume '" + garbage + "' --out '" + out + "'" + kTiny,
      "train --data '" + kData + "'",  // no --out
  };
  for (const auto& args : cases) {
    CAPTURE(args);
    const auto r = run_zgen(args);
    CHECK(r.exit_code == 2);
    CHECK(zgen::test::count_lines(r.err) == 1);
  }
  const auto help = run_zgen("train --help");
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--resume") != std::string::npos);
  std::remove(garbage.c_str());
  std::remove(tiny_file.c_str());
}
