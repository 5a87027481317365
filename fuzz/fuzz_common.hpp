#pragma once
// What every fuzz target's body shares. A body takes one input and returns how its main parser
// ended: accepted (a result) or refused (a zgen::UserError, the one error bad input may cause).
// Anything else is a bug: another exception escapes the body (libFuzzer then aborts on it, the
// replay test reports it), and a crash or sanitizer report stops the process. Invariants a body
// checks on accepted input (a round trip that must give the data back) throw InvariantBroken.
#include <stdexcept>
#include <string>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"

namespace zgen::fuzz {

enum class Outcome { accepted, refused };

inline const char* to_string(Outcome o) { return o == Outcome::accepted ? "accepted" : "refused"; }

struct InvariantBroken : std::logic_error {
  using std::logic_error::logic_error;
};

inline void check(bool ok, const std::string& what) {
  if (!ok) throw InvariantBroken("fuzz: " + what);
}

// Runs one step on the input: a result is accepted, a UserError refused; nothing else is caught.
template <class Step>
Outcome outcome_of(Step&& step) {
  try {
    step();
    return Outcome::accepted;
  } catch (const UserError&) {
    return Outcome::refused;
  }
}

}  // namespace zgen::fuzz
