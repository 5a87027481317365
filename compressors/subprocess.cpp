// The child runs in its own process group so that a timeout kills the shell and everything it
// started. Input is written and output read in one poll() loop: a compressor that emits output
// before it has read all its input would otherwise deadlock against a full pipe.
//
// SIGPIPE: a child that exits without reading all its input makes our write fail. The signal
// for that is sent to the writing thread, so we block it in this thread only (no process-wide
// state), treat EPIPE as "the child stopped reading", and discard the pending signal.
#include "compressors/subprocess.hpp"
#include "zgen/errors.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

extern char** environ;

namespace zgen {
namespace {

constexpr size_t kMaxStderr = 4096;

using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// A pipe whose ends are close-on-exec (so that a child spawned by another thread does not hold
// our pipe open and delay EOF) and numbered above 2 (so that dup2 onto 0/1/2 cannot clobber).
void make_pipe(Fd& r, Fd& w) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error(std::string("cmd: pipe: ") + std::strerror(errno));
  for (int& f : p) {
    if (f <= 2) {
      const int g = ::fcntl(f, F_DUPFD_CLOEXEC, 3);
      ::close(f);
      f = g;
    }
  }
  r.fd = p[0];
  w.fd = p[1];
  if (r.fd < 0 || w.fd < 0) throw std::runtime_error("cmd: could not set up pipes");
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Blocks SIGPIPE in this thread for its lifetime; discards a SIGPIPE our own writes raised.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    if (raised_ && !was_pending_) {
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  void raised() { raised_ = true; }

 private:
  sigset_t pipe_{}, old_{};
  bool was_pending_ = false;
  bool raised_ = false;
};

pid_t spawn_shell(const std::string& command, int in_fd, int out_fd, int err_fd) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  // Own process group (pgid = pid); an empty signal mask and default SIGPIPE, whatever ours are.
  sigset_t none, def;
  sigemptyset(&none);
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw UserError(std::string("cmd: could not start /bin/sh: ") + std::strerror(rc));
  return pid;
}

int millis_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left < 60000 ? left + 1 : 60000);
}

}  // namespace

ProcessResult run_shell_command(const std::string& command, ByteView input, double timeout_seconds) {
  // Capped at a year so that the deadline cannot overflow the clock's nanosecond count.
  const double seconds = timeout_seconds < 3.2e7 ? timeout_seconds : 3.2e7;
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  Fd in_r, in_w, out_r, out_w, err_r, err_w;
  make_pipe(in_r, in_w);
  make_pipe(out_r, out_w);
  make_pipe(err_r, err_w);
  SigpipeBlock sigpipe;
  const pid_t pid = spawn_shell(command, in_r.fd, out_w.fd, err_w.fd);
  in_r.reset();
  out_w.reset();
  err_w.reset();
  set_nonblocking(in_w.fd);
  set_nonblocking(out_r.fd);
  set_nonblocking(err_r.fd);
  if (input.empty()) in_w.reset();

  ProcessResult result;
  size_t written = 0;
  uint8_t buf[1 << 16];
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    pollfd fds[3];
    int n = 0;
    int i_in = -1, i_out = -1, i_err = -1;
    if (in_w.fd >= 0) fds[i_in = n++] = {in_w.fd, POLLOUT, 0};
    if (out_r.fd >= 0) fds[i_out = n++] = {out_r.fd, POLLIN, 0};
    if (err_r.fd >= 0) fds[i_err = n++] = {err_r.fd, POLLIN, 0};
    const int timeout_ms = millis_until(deadline);
    if (timeout_ms == 0) {
      result.timed_out = true;
      break;
    }
    const int ready = ::poll(fds, static_cast<nfds_t>(n), timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (i_in >= 0 && fds[i_in].revents) {
      const ssize_t w = ::write(in_w.fd, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno == EPIPE) sigpipe.raised();
      // Done, or the child closed its stdin: either way it sees no more input.
      if (written == input.size() || (w < 0 && errno != EAGAIN && errno != EINTR)) in_w.reset();
    }
    for (auto [idx, fd] : {std::pair{i_out, &out_r}, std::pair{i_err, &err_r}}) {
      if (idx < 0 || !fds[idx].revents) continue;
      const ssize_t r = ::read(fd->fd, buf, sizeof buf);
      if (r > 0) {
        if (fd == &out_r) {
          result.out.insert(result.out.end(), buf, buf + r);
        } else if (result.err.size() < kMaxStderr) {
          result.err.append(reinterpret_cast<char*>(buf), std::min<size_t>(static_cast<size_t>(r), kMaxStderr - result.err.size()));
        }
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        fd->reset();
      }
    }
  }
  in_w.reset();

  // Both output pipes are closed; the shell normally exits at once, but wait only until the
  // deadline. Killing the group happens before reaping, while the pid cannot yet be reused.
  int status = 0;
  for (int sleep_us = 100;;) {
    if (!result.timed_out) {
      const pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) throw std::runtime_error(std::string("cmd: waitpid: ") + std::strerror(errno));
      if (Clock::now() >= deadline) result.timed_out = true;
    }
    if (result.timed_out) {
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return result;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    sleep_us = std::min(sleep_us * 2, 10000);
  }
  if (WIFEXITED(status)) {
    result.exited = true;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace zgen
