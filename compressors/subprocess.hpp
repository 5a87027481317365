#pragma once
// Runs `/bin/sh -c COMMAND` with the given stdin, collecting stdout and stderr, under a deadline.
// Safe to call from several threads at once: each call owns its process, pipes and timer.
#include <string>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"

namespace zgen {

struct ProcessResult {
  bool timed_out = false;  // killed (with its whole process group) at the deadline
  bool exited = false;     // exited normally; exit_code is valid
  int exit_code = 0;
  int signal = 0;          // the signal that ended it when !exited && !timed_out
  Bytes out;               // everything it wrote to stdout
  std::string err;         // the start of what it wrote to stderr (capped)
};

// Throws UserError when the process cannot be started at all.
ProcessResult run_shell_command(const std::string& command, ByteView input, double timeout_seconds);

}  // namespace zgen
