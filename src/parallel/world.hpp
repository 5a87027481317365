#pragma once
// The processes a zgen command runs on: under a launcher (`mpirun -np N zgen ...`, Slurm's
// `srun`) MPI's world of N processes; started any other way, this process alone, without
// initialising MPI at all (Open MPI 4.1's "singleton" start of an MPI program takes about 2 s
// on this machine, and would tie a plain `zgen` run to a working MPI installation).
//
// A build without MPI (-DZGEN_MPI=OFF) has the same World, always of one process.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "zgen/transformer.hpp"

namespace zgen::parallel {

// A command's failure as the CLI reports it: `zgen: <message>`, exit code `code`.
struct Failure {
  std::string message;
  int code = 2;
};

// Thrown on every process once a failure has been agreed on (World::agree) and reported by
// process 0: the command ends with `code` and prints nothing more.
struct Stopped {
  int code = 2;
};

class World final : public DataParallelGroup {
 public:
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  bool alone() const { return size_ == 1; }
  bool leader() const { return rank_ == 0; }  // the process that prints and writes

  // In rank order, the same bits on every process (see DataParallelGroup::sum): each process
  // owns a slice of the values, adds every process's copy of it in rank order, and sends the
  // sums back to all (2·(N−1)/N of the values sent and received per process, like a ring
  // allreduce, but with an order MPI does not choose).
  void sum(std::span<float> values) override;
  void sum(std::span<double> values) override;

  // Collective: every process says whether its part failed. If one did, process 0 prints the
  // failure of the lowest-ranked process that failed, once ("zgen: <message>", with
  // "(process r)" when r > 0: a file missing on one node only), and every process throws
  // Stopped with its code. Otherwise returns.
  void agree(const std::optional<Failure>& mine);

  // Bytes between processes (collective: every process calls them, in the same order). Alone,
  // `bytes` stays, scatter returns parts[0] and gather {mine}.
  void broadcast(std::vector<std::uint8_t>& bytes, int root = 0);  // root's bytes to all
  // parts[r] of root's parts (one per process; the others pass none) to process r.
  std::vector<std::uint8_t> scatter(const std::vector<std::vector<std::uint8_t>>& parts, int root = 0);
  // Every process's `mine` to root, in rank order; the others get nothing back.
  std::vector<std::vector<std::uint8_t>> gather(const std::vector<std::uint8_t>& mine, int root = 0);

  // Ends every process of the job now, with `code` (MPI_Abort): for a failure the others cannot
  // know of, so that none waits for this one forever.
  [[noreturn]] void abort(int code);

 private:
  friend class Session;
  int rank_ = 0, size_ = 1;
};

// The processes of this run (one until a Session has started MPI).
World& world();

// MPI's lifetime, in main(): started when the process was launched by mpirun or srun, finalised
// at the end.
class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  bool started_ = false;
};

// Whether this binary can run on several processes (built with ZGEN_MPI).
bool built_with_mpi();

}  // namespace zgen::parallel
