#include "src/cli/processes.hpp"

#include <cstdio>
#include <new>
#include <optional>
#include <string>

#include <boost/program_options/errors.hpp>

#include "src/cli/cli_common.hpp"
#include "zgen/errors.hpp"
#include "zgen/transformer.hpp"

namespace zgen::cli {

parallel::Failure failure_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const UserError& e) {  // the library names its parameters; we name the flags
    return {e.worded(flag_for), 2};
  } catch (const boost::program_options::error& e) {
    return {e.what(), 2};
  } catch (const std::bad_alloc&) {
    return {"out of memory", 2};
  } catch (const std::exception& e) {
    return {std::string("internal error: ") + e.what(), 3};
  } catch (...) {
    return {"internal error", 3};
  }
}

void on_every_process(const std::function<void()>& work) {
  parallel::World& world = parallel::world();
  if (world.alone()) {
    work();
    return;
  }
  std::optional<parallel::Failure> failure;
  try {
    work();
  } catch (...) {
    failure = failure_of(std::current_exception());
  }
  world.agree(failure);
}

int report_failure(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const parallel::Stopped& s) {
    return s.code;
  } catch (const PeerFailed&) {
    return 2;  // process 0 reports it
  } catch (...) {
  }
  const parallel::Failure f = failure_of(error);
  parallel::World& world = parallel::world();
  if (world.alone()) {
    std::fprintf(stderr, "zgen: %s\n", f.message.c_str());
    return f.code;
  }
  if (world.leader()) std::fprintf(stderr, "zgen: %s\n", f.message.c_str());
  else std::fprintf(stderr, "zgen: (process %d) %s\n", world.rank(), f.message.c_str());
  std::fflush(stderr);
  world.abort(f.code);
}

}  // namespace zgen::cli
