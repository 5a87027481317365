// `mpirun -np 2 zgen train|bench` (src/parallel/) against the single process: the same losses
// within float rounding and the same bits from run to run, resume on another number of
// processes, the same bench table, and one process's bad input ending the whole job with one
// message and exit code 2. Runs the real binary under the real mpirun (ZGEN_MPIEXEC), as root
// with --allow-run-as-root and on 2 cores with --oversubscribe; registered only in builds with
// ZGEN_MPI (tests/CMakeLists.txt).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "src/transformer/checkpoint.hpp"
#include "tests/cli_runner.hpp"

namespace zgen {
namespace {

using test::Outcome;
using test::slurp;

const std::string kData = std::string(ZGEN_TEST_DATA) + "/sotu-valid-30k.txt";
const std::string kValid = std::string(ZGEN_TEST_DATA) + "/sotu-valid-70k.txt";

// A fresh directory of its own for each run: the checkpoints name their command, -o included,
// so runs to compare bit for bit write the same relative path in different directories.
std::string fresh_dir(const std::string& name) {
  static int counter = 0;
  const std::string dir = "/tmp/zgen-test-mpi-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + name;
  ::mkdir(dir.c_str(), 0755);
  return dir;
}

// `command` run in `dir` through the shell (quote it yourself), stdout and stderr captured.
Outcome run_in(const std::string& dir, const std::string& command) {
  const std::string out = dir + "/stdout", err = dir + "/stderr";
  const std::string cmd = "cd '" + dir + "' && " + command + " </dev/null >'" + out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out), slurp(err)};
}

// -q keeps Open MPI's own notices about a failed job off stderr; one machine needs only shared
// memory (no network interfaces probed).
const std::string kMpirunFlags = "-q --allow-run-as-root --oversubscribe --mca btl self,vader";

// zgen on `processes` processes.
std::string mpirun(int processes, const std::string& zgen_args) {
  return std::string("'") + ZGEN_MPIEXEC + "' " + kMpirunFlags + " -np " + std::to_string(processes) + " '" +
         ZGEN_BINARY + "' " + zgen_args;
}
std::string alone(const std::string& zgen_args) { return std::string("'") + ZGEN_BINARY + "' " + zgen_args; }

// The losses of the "step i/N  loss X bits/byte" lines, in order.
std::vector<double> losses(const std::string& progress) {
  std::vector<double> v;
  std::istringstream in(progress);
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find("  loss ");
    if (line.rfind("step ", 0) == 0 && at != std::string::npos) v.push_back(std::stod(line.substr(at + 7)));
  }
  return v;
}

double valid_bits(const std::string& summary) {
  const auto at = summary.find("valid    ");
  REQUIRE(at != std::string::npos);
  return std::stod(summary.substr(at + 9));
}

// A tiny model on 8 windows of 32 bytes per step, on one thread per process.
const std::string kTrain = "train --data '" + kData + "' --valid '" + kValid +
                           "' --valid-bytes 6000 --layers 1 --dim 32 --heads 2 --seq 32 --batch 8 --lr 3e-3 "
                           "--warmup 2 --log-every 1 --eval-every 0 --seed 11 --threads 1";

void check_close(const std::vector<double>& a, const std::vector<double>& b, double tolerance) {
  REQUIRE(a.size() == b.size());
  REQUIRE(!a.empty());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CAPTURE(i);
    CHECK(std::abs(a[i] - b[i]) <= tolerance);
  }
}

double largest_difference(const std::string& a_path, const std::string& b_path) {
  const auto a = transformer::load_checkpoint(a_path), b = transformer::load_checkpoint(b_path);
  const auto pa = a.model->parameters(), pb = b.model->parameters();
  REQUIRE(pa.size() == pb.size());
  double largest = 0;
  for (std::size_t i = 0; i < pa.size(); ++i) largest = std::max(largest, static_cast<double>(std::abs(pa[i] - pb[i])));
  return largest;
}

TEST_CASE("two processes train as one does: same losses within rounding, same bits run to run, resume on any count") {
  const std::string one = fresh_dir("one"), two = fresh_dir("two"), again = fresh_dir("again");
  const Outcome a = run_in(one, alone(kTrain + " --steps 8 -o m.safetensors"));
  REQUIRE_MESSAGE(a.exit_code == 0, a.err);
  const Outcome b = run_in(two, mpirun(2, kTrain + " --steps 8 --checkpoint-every 4 -o m.safetensors"));
  REQUIRE_MESSAGE(b.exit_code == 0, b.err);
  const Outcome c = run_in(again, mpirun(2, kTrain + " --steps 8 --checkpoint-every 4 -o m.safetensors"));
  REQUIRE_MESSAGE(c.exit_code == 0, c.err);

  // Process 0 alone prints: one progress line per step, one summary.
  CHECK(losses(b.err).size() == 8);
  CHECK(b.err.find("threads 1 per process x 2 processes") != std::string::npos);
  CHECK(test::count_lines(b.out) == 4);
  // The batch split in two and the gradients added back: the single process's curve, within
  // float rounding (the loss falls by about 0.5 bits/byte over these 8 steps).
  check_close(losses(a.err), losses(b.err), 2e-3);
  CHECK(losses(a.err).back() < losses(a.err).front() - 0.2);
  CHECK(std::abs(valid_bits(a.out) - valid_bits(b.out)) < 2e-3);
  CHECK(largest_difference(one + "/m.safetensors", two + "/m.safetensors") < 1e-4);
  // The sum in rank order: two runs on 2 processes agree to the bit.
  CHECK(losses(b.err) == losses(c.err));
  CHECK(slurp(two + "/m.safetensors") == slurp(again + "/m.safetensors"));
  CHECK(slurp(two + "/m.safetensors.optimizer") == slurp(again + "/m.safetensors.optimizer"));

  // A run of 4 steps on 2 processes continued to 8 on 1 process, beside the same on 1 process
  // throughout: the checkpoint does not depend on the number of processes.
  const std::string resumed = fresh_dir("resumed"), single = fresh_dir("single");
  const Outcome d = run_in(resumed, mpirun(2, kTrain + " --steps 4 -o m.safetensors"));
  REQUIRE_MESSAGE(d.exit_code == 0, d.err);
  const Outcome e = run_in(resumed, alone(kTrain + " --steps 8 --resume m.safetensors -o m.safetensors"));
  REQUIRE_MESSAGE(e.exit_code == 0, e.err);
  const Outcome f = run_in(single, alone(kTrain + " --steps 4 -o m.safetensors"));
  REQUIRE_MESSAGE(f.exit_code == 0, f.err);
  const Outcome g = run_in(single, alone(kTrain + " --steps 8 --resume m.safetensors -o m.safetensors"));
  REQUIRE_MESSAGE(g.exit_code == 0, g.err);
  CHECK(losses(e.err).size() == 4);
  check_close(losses(e.err), losses(g.err), 2e-3);
  CHECK(largest_difference(resumed + "/m.safetensors", single + "/m.safetensors") < 1e-4);
}

TEST_CASE("bench on two processes prints the single process's table and JSON, to the bit") {
  const std::string args = "bench --text '" + kData + "' '" + kValid +
                           "' --models gzip:1,gzip:9 --chunks 12 --predict-bytes 4 --threads 1 -q --json t.json";
  const std::string one = fresh_dir("bench-one"), two = fresh_dir("bench-two");
  const Outcome a = run_in(one, alone(args));
  REQUIRE_MESSAGE(a.exit_code == 0, a.err);
  const Outcome b = run_in(two, mpirun(2, args));
  REQUIRE_MESSAGE(b.exit_code == 0, b.err);
  CHECK(a.out.find("| whole | gzip:9 | 0 |") != std::string::npos);
  CHECK(a.out == b.out);
  CHECK(slurp(one + "/t.json") == slurp(two + "/t.json"));
  CHECK(b.err.empty());
}

// One clear line, exit code 2, every process ended (the test returning at all shows no hang).
void check_stopped(const Outcome& o, const std::string& mentions) {
  CAPTURE(o.err);
  CHECK(o.exit_code == 2);
  CHECK(test::count_lines(o.err) == 1);
  CHECK(o.err.rfind("zgen: ", 0) == 0);
  CHECK(o.err.find(mentions) != std::string::npos);
}

TEST_CASE("bad input on one process stops every process with one message and exit code 2") {
  const std::string dir = fresh_dir("fail");
  const std::string tiny = " --layers 1 --dim 16 --heads 2 --seq 16 --batch 2 --steps 2 --threads 1 -q -o m.safetensors";
  // A file that only process 1 lacks (a node without the data).
  check_stopped(run_in(dir, std::string("'") + ZGEN_MPIEXEC + "' " + kMpirunFlags + " -np 2 sh -c '" +
                                "if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then d=/nonexistent/data.txt; else d=" + kData +
                                "; fi; exec " + ZGEN_BINARY + " train --data $d" + tiny + "'"),
                "(process 1) cannot open '/nonexistent/data.txt'");
  // A flag every process refuses: said once.
  check_stopped(run_in(dir, mpirun(2, "train --data '" + kData + "'" + tiny + " --lr 7")), "--lr");
  // Process 0 cannot write the checkpoint, after the others have trained with it.
  check_stopped(run_in(dir, mpirun(2, "train --data '" + kData + "'" +
                                          " --layers 1 --dim 16 --heads 2 --seq 16 --batch 2 --steps 2 --threads 1 -q"
                                          " -o /nonexistent/m.safetensors")),
                "/nonexistent/m.safetensors");
  // A command that runs on one process only.
  check_stopped(run_in(dir, mpirun(2, "sample --length 10")), "runs on one process");
  // bench: a file missing everywhere.
  check_stopped(run_in(dir, mpirun(2, "bench --text /nonexistent/t.txt --models gzip -q")), "/nonexistent/t.txt");
}

// compress, decompress and score on two processes: process 0 reads the input a window at a time
// and hands out chunks; the file and the output are the single process's bytes. Mostly a tiny
// transformer (22 KB) on 3000 bytes: ppm's tables cost about a CPU second per process to set up.
const std::string kTiny = "transformer:" + std::string(ZGEN_TEST_DATA) + "/twin-learned-tied.safetensors";

void write_file(const std::string& path, const std::string& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), f);
  REQUIRE(std::fclose(f) == 0);
}

// The first 3000 bytes of the text, in `dir`.
std::string small_text(const std::string& dir) {
  write_file(dir + "/small.txt", slurp(kData).substr(0, 3000));
  return dir + "/small.txt";
}

TEST_CASE("compress on two processes writes the single process's file, from a file or stdin; decompress restores it") {
  const std::string dir = fresh_dir("code");
  const std::string small = small_text(dir);
  // ppm:2 in chunks of 2048 (15 chunks, one window).
  const Outcome p1 = run_in(dir, alone("compress -q -m ppm:2 --threads 2 -o p1.zgen '" + kData + "'"));
  REQUIRE_MESSAGE(p1.exit_code == 0, p1.err);
  const Outcome p2 = run_in(dir, mpirun(2, "compress -q -m ppm:2 --threads 1 -o p2.zgen '" + kData + "'"));
  REQUIRE_MESSAGE(p2.exit_code == 0, p2.err);
  CHECK(p2.err.empty());
  CHECK(slurp(dir + "/p1.zgen").size() > 5000);
  CHECK(slurp(dir + "/p1.zgen") == slurp(dir + "/p2.zgen"));

  // The tiny transformer in chunks of 256 (12 chunks).
  const std::string args = "compress -q -m '" + kTiny + "' --chunk-size 256";
  const Outcome a = run_in(dir, alone(args + " --threads 2 -o one.zgen small.txt"));
  REQUIRE_MESSAGE(a.exit_code == 0, a.err);
  const Outcome b = run_in(dir, mpirun(2, args + " --threads 1 -o two.zgen small.txt"));
  REQUIRE_MESSAGE(b.exit_code == 0, b.err);
  CHECK(slurp(dir + "/one.zgen").size() > 1000);
  CHECK(slurp(dir + "/one.zgen") == slurp(dir + "/two.zgen"));
  // stdin to stdout in windows of 4 chunks per process: 2 windows handed out in turn.
  const Outcome s = run_in(dir, "( " + mpirun(2, args + " --threads 1 --window 1") + " <small.txt )");
  REQUIRE_MESSAGE(s.exit_code == 0, s.err);
  CHECK(s.out == slurp(dir + "/one.zgen"));
  // Back on two processes, to a file and (windows of 4 chunks per process) to stdout.
  const Outcome d = run_in(dir, mpirun(2, "decompress -q --threads 1 -o back.txt one.zgen"));
  REQUIRE_MESSAGE(d.exit_code == 0, d.err);
  CHECK(slurp(dir + "/back.txt") == slurp(small));
  const Outcome e = run_in(dir, mpirun(2, "decompress -q --threads 1 --window 1 one.zgen"));
  REQUIRE_MESSAGE(e.exit_code == 0, e.err);
  CHECK(e.out == slurp(small));

  // One history (--chunk-size 0) is process 0's alone: still the same file, and back.
  const Outcome h1 = run_in(dir, alone("compress -q -m '" + kTiny + "' --chunk-size 0 -o h1.zgen small.txt"));
  REQUIRE_MESSAGE(h1.exit_code == 0, h1.err);
  const Outcome h2 = run_in(dir, mpirun(2, "compress -q -m '" + kTiny + "' --chunk-size 0 -o h2.zgen small.txt"));
  REQUIRE_MESSAGE(h2.exit_code == 0, h2.err);
  CHECK(slurp(dir + "/h1.zgen") == slurp(dir + "/h2.zgen"));
  const Outcome hd = run_in(dir, mpirun(2, "decompress -q h2.zgen"));
  REQUIRE_MESSAGE(hd.exit_code == 0, hd.err);
  CHECK(hd.out == slurp(small));
}

TEST_CASE("a damaged chunk stops both processes decoding with one message and exit code 2, nothing unchecked written") {
  const std::string dir = fresh_dir("damaged");
  small_text(dir);
  const Outcome a = run_in(dir, alone("compress -q -m '" + kTiny + "' --chunk-size 256 -o good.zgen small.txt"));
  REQUIRE_MESSAGE(a.exit_code == 0, a.err);
  // A bit flipped in the stream of the last chunk, bytes 2816..2999 (process 1's share), just
  // before its CRC and the trailer (0, the length 3000 in 2 bytes, the CRC: 7 bytes).
  std::string file = slurp(dir + "/good.zgen");
  REQUIRE(file.size() > 1000);
  const std::size_t at = file.size() - 7 - 4 - 20;
  file[at] = static_cast<char>(file[at] ^ 0x40);
  write_file(dir + "/bad.zgen", file);
  const Outcome o = run_in(dir, mpirun(2, "decompress -q --threads 1 -o out.txt bad.zgen"));
  check_stopped(o, "(process 1) corrupt zgen file: the frame of bytes 2816 to 2999");
  CHECK(o.err.find("('out.txt' was not written)") != std::string::npos);
  CHECK(!std::ifstream(dir + "/out.txt").good());
  // To stdout in windows of 4 chunks per process: the first window (chunks 0..7), checked, and
  // no more.
  const Outcome s = run_in(dir, mpirun(2, "decompress -q --threads 1 --window 1 bad.zgen"));
  check_stopped(s, "standard output got the first 2048 bytes");
  CHECK(s.out == slurp(dir + "/small.txt").substr(0, 2048));
  // A file cut short: found by process 0 as it reads, before anything of that window is decoded.
  file.resize(500);
  write_file(dir + "/cut.zgen", file);
  check_stopped(run_in(dir, mpirun(2, "decompress -q --threads 1 -o out.txt cut.zgen")), "zgen file is truncated");
  // The model missing on process 1 only (a node without the checkpoint).
  check_stopped(run_in(dir, std::string("'") + ZGEN_MPIEXEC + "' " + kMpirunFlags + " -np 2 sh -c '" +
                                "if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then m=transformer:/nonexistent.safetensors; else m=" +
                                kTiny + "; fi; exec " + ZGEN_BINARY + " decompress -q -m $m -o out.txt good.zgen'"),
                "(process 1) cannot load the model 'transformer:/nonexistent.safetensors'");
  // compress: an input that process 0 cannot open.
  check_stopped(run_in(dir, mpirun(2, "compress -q -m ppm:2 -o x.zgen /nonexistent/in.txt")), "/nonexistent/in.txt");
  // A window must fit in one message between processes.
  check_stopped(run_in(dir, mpirun(2, "compress -q -m ppm:2 --window 3000000000 -o x.zgen '" + kData + "'")), "at most 1 GiB");
  check_stopped(run_in(dir, mpirun(2, "decompress -q --window 3000000000 -o out.txt cut.zgen")), "at most 1 GiB");
}

TEST_CASE("score --chunk-size on two processes prints the single process's bits, to the bit") {
  const std::string dir = fresh_dir("score");
  small_text(dir);
  // 7 chunks of 300 bytes (the last short), each given the context; --json without the timings.
  const std::string args = "score -q --json -m '" + kTiny + "' --context small.txt -d '" + kValid +
                           "' --max-bytes 2000 --chunk-size 300 --threads 1";
  const auto figures = [](const std::string& json) {
    std::string kept;
    std::istringstream in(json);
    for (std::string line; std::getline(in, line);)
      if (line.find("seconds") == std::string::npos && line.find("per_second") == std::string::npos) kept += line + "\n";
    return kept;
  };
  const Outcome a = run_in(dir, alone(args));
  REQUIRE_MESSAGE(a.exit_code == 0, a.err);
  const Outcome b = run_in(dir, mpirun(2, args));
  REQUIRE_MESSAGE(b.exit_code == 0, b.err);
  CHECK(a.out.find("\"chunk_size\": 300") != std::string::npos);
  CHECK(a.out.find("\"model_bits\": ") != std::string::npos);
  CHECK(figures(a.out) == figures(b.out));
  // One chunk holding all the data is the plain score: the same bits.
  const Outcome whole = run_in(dir, alone("score -q --json --no-coder -m '" + kTiny + "' -d small.txt --max-bytes 600"));
  const Outcome one = run_in(dir, alone("score -q --json -m '" + kTiny + "' -d small.txt --max-bytes 600 --chunk-size 600"));
  REQUIRE_MESSAGE(whole.exit_code == 0, whole.err);
  REQUIRE_MESSAGE(one.exit_code == 0, one.err);
  const auto bits = [](const std::string& json) {
    const auto at = json.find("\"model_bits\"");
    REQUIRE(at != std::string::npos);
    return json.substr(at, json.find('\n', at) - at);
  };
  CHECK(bits(whole.out) == bits(one.out));
  // One history over the data cannot be shared.
  check_stopped(run_in(dir, mpirun(2, "score -m ppm:2 -d '" + kData + "'")), "needs --chunk-size");
}

}  // namespace
}  // namespace zgen
