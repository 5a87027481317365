#include "src/cli/cli_common.hpp"

#include "src/common/file_io.hpp"
#include "zgen/errors.hpp"

#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

namespace zgen::cli {

bool parse_or_help(int argc, char** argv, const po::options_description& options, po::variables_map& vm,
                   const std::string& usage, const po::positional_options_description* positional) {
  po::options_description all;
  all.add(options).add_options()("help,h", "show this help");
  auto parser = po::command_line_parser(argc, argv).options(all);
  if (positional) parser.positional(*positional);
  po::store(parser.run(), vm);
  if (vm.count("help")) {
    std::cout << usage << "\n\n" << all << "\n";
    return false;
  }
  po::notify(vm);
  return true;
}

Bytes read_input(const std::string& path) {
  if (path == "-") {
    Bytes data;
    char buf[1 << 16];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) data.insert(data.end(), buf, buf + n);
    if (std::ferror(stdin)) throw UserError("cannot read standard input");
    return data;
  }
  return read_file(path);
}

// Writes and flushes; an empty span (whose pointer may be null, which fwrite must not see) writes nothing.
static void write_stdout(ByteView data) {
  const bool ok = data.empty() || std::fwrite(data.data(), 1, data.size(), stdout) == data.size();
  if (!ok || std::fflush(stdout) != 0) throw UserError("cannot write to standard output");
}

void write_output(const std::string& path, ByteView data) {
  if (path == "-") {
    write_stdout(data);
    return;
  }
  write_file_atomically(path, data);
}

InputStream::InputStream(const std::string& path) : path_(path), file_(stdin) {
  if (path == "-") return;
  const InputFileInfo info = check_input_file(path);
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) throw FileError(path, "cannot open '" + path + "': " + std::strerror(errno));
  if (info.regular) size_ = info.size;
}

InputStream::~InputStream() {
  if (file_ != stdin) std::fclose(file_);
}

ByteSource InputStream::source() {
  return [this](std::span<std::uint8_t> buffer) -> std::size_t {
    const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file_);
    if (n == 0 && std::ferror(file_))
      throw UserError(path_ == "-" ? std::string("cannot read standard input") : "cannot read '" + path_ + "'");
    return n;
  };
}

OutputStream::OutputStream(const std::string& path) : path_(path) {
  if (path != "-") file_ = std::make_unique<AtomicFileWriter>(path);
}

ByteSink OutputStream::sink() {
  return [this](ByteView bytes) {
    if (file_) {
      file_->write(bytes);
    } else {
      write_stdout(bytes);
    }
    written_ += bytes.size();
  };
}

void OutputStream::commit() {
  if (file_) {
    file_->commit();
  } else if (std::fflush(stdout) != 0) {
    throw UserError("cannot write to standard output");
  }
}

std::vector<std::string> split_specs(const std::string& option, const std::string& list) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(list);
  while (std::getline(in, item, ',')) {
    if (item.empty()) throw UserError("--" + option + " has an empty entry in '" + list + "'");
    out.push_back(item);
  }
  if (out.empty()) throw UserError("--" + option + " is empty");
  return out;
}

Bytes read_inputs(const std::vector<std::string>& paths) {
  Bytes all;
  for (const auto& path : paths) {
    const Bytes b = read_input(path);
    all.insert(all.end(), b.begin(), b.end());
  }
  return all;
}

Bytes read_data(const std::string& path, long long max_bytes) {
  // Only the bytes scored are read: a large file (or an endless pipe) costs no more than them.
  Bytes data;
  if (max_bytes > 0) {
    InputStream in(path);
    const ByteSource source = in.source();
    data.resize(static_cast<std::size_t>(max_bytes));
    std::size_t got = 0;
    while (got < data.size()) {
      const std::size_t n = source(std::span<std::uint8_t>(data).subspan(got));
      if (n == 0) break;
      got += n;
    }
    data.resize(got);
  } else {
    data = read_input(path);
  }
  if (data.empty()) throw UserError("'" + path + "' is empty: nothing to score");
  return data;
}

void require_finite(const char* option, double value) {
  if (!std::isfinite(value)) throw UserError(std::string("--") + option + " must be a finite number");
}

void require_range(const char* option, double value, double lo, double hi, const char* range_text) {
  if (!(value >= lo && value <= hi))
    throw UserError(std::string("--") + option + " must be in " + range_text + ", got " + std::to_string(value));
}

void require_at_least(const char* option, long long value, long long lo) {
  if (value < lo)
    throw UserError(std::string("--") + option + " must be at least " + std::to_string(lo) + ", got " +
                    std::to_string(value));
}

void use_threads(long long threads) {
  require_at_least("threads", threads, 1);
  omp_set_num_threads(static_cast<int>(threads));
}

int default_threads() {
  // The CPUs this process may run on: all of them, unless taskset, Slurm or mpirun (which binds
  // each of 2 processes to a core of its own by default) gave it fewer.
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) > 0) return CPU_COUNT(&cpus);
  const unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

std::uint64_t fresh_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32 | rd()) % 1000000000ULL;
}

std::string flag_for(const std::string& parameter) {
  // The few flags that are not their parameter's name.
  if (parameter == "model_override") return "--model";
  if (parameter == "model_dirs") return "--model-dir";
  if (parameter == "order") return "--samplers";
  std::string flag = "--" + parameter;
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

}  // namespace zgen::cli
