#pragma once
// How the CLI runs on several processes (`mpirun -np N zgen train|bench`; src/parallel/): the
// failure an exception stands for, and work that every process does and then agrees on, so
// that bad input on one process stops all of them with one message instead of a hang.
#include <exception>
#include <functional>

#include "src/parallel/world.hpp"

namespace zgen::cli {

// What main() reports for an exception: a UserError worded with the flags' names, a flag that
// does not parse, or running out of memory: exit code 2; anything else is an internal error, 3.
parallel::Failure failure_of(std::exception_ptr error);

// Runs `work` on every process, then agrees on whether it failed anywhere (World::agree:
// process 0 prints the failure once, every process throws parallel::Stopped). Alone, it runs
// `work` and its exceptions pass through, as without MPI.
void on_every_process(const std::function<void()>& work);

// main()'s end for an exception: the exit code, after printing what it says unless it was
// already reported (parallel::Stopped, PeerFailed). On several processes a failure the others
// have not agreed on ends the whole job (MPI_Abort), so that none waits for this one.
int report_failure(std::exception_ptr error);

}  // namespace zgen::cli
