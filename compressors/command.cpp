// cmd:COMMAND — any program that reads stdin and writes its compressed form to stdout, run
// through /bin/sh -c for every input (see subprocess.cpp). It can only be measured:
// ℓ = 8·(bytes it wrote), since an arbitrary program tells us nothing about bits or decoding.
#include <cstdio>
#include <memory>
#include <string>

#include "compressors/families.hpp"
#include "compressors/subprocess.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

// Text for a one-line message: control characters (a newline in a command) become spaces.
std::string one_line(std::string s, size_t max_len = 200) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (s.size() > max_len) s = s.substr(0, max_len) + "...";
  return s;
}

std::string first_line(const std::string& s) {
  const size_t nl = s.find('\n');
  return one_line(nl == std::string::npos ? s : s.substr(0, nl));
}

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

class Command final : public Compressor {
 public:
  Command(std::string command, double timeout_seconds)
      : command_(std::move(command)), timeout_seconds_(timeout_seconds) {}

  std::string name() const override { return "cmd:" + command_; }

  Bytes compress(ByteView data) const override {
    ProcessResult r = run_shell_command(command_, data, timeout_seconds_);
    const std::string who = "cmd: `" + one_line(command_) + "`";
    if (r.timed_out) throw UserError(who + " timed out after " + format_seconds(timeout_seconds_) + " s");
    const std::string err = first_line(r.err);
    const std::string detail = err.empty() ? "" : ": " + err;
    if (r.exited && r.exit_code == 127) throw UserError(who + ": command not found (exit code 127" + detail + ")");
    if (r.exited && r.exit_code == 126) throw UserError(who + ": command not executable (exit code 126" + detail + ")");
    if (r.exited && r.exit_code != 0) throw UserError(who + " exited with code " + std::to_string(r.exit_code) + detail);
    if (!r.exited) throw UserError(who + " was killed by signal " + std::to_string(r.signal) + detail);
    if (r.out.empty()) throw UserError(who + " wrote nothing to stdout");
    return std::move(r.out);
  }

  Bytes decompress(ByteView) const override {
    throw UserError("cmd: compressors can only be measured, not decoded");
  }

  // A guess: most command-line compressors look back no further than this at their usual
  // settings, and the predictor keeps between this and twice this as context.
  std::size_t window_bytes() const override { return std::size_t{1} << 20; }

 private:
  std::string command_;
  double timeout_seconds_;
};

}  // namespace

std::unique_ptr<Compressor> make_command(const std::string& command, double timeout_seconds) {
  return std::make_unique<Command>(command, timeout_seconds);
}

}  // namespace zgen
