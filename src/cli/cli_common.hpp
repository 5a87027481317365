#pragma once
// What every subcommand shares: option parsing with --help, reading files, strict checks.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "src/common/file_io.hpp"
#include "zgen/bytes.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"

namespace zgen::cli {

namespace po = boost::program_options;

// Parses argv (argv[0] is the subcommand's name) against `options`, with `positional` if any.
// Returns false when --help was asked for, after printing `usage` and the options to stdout.
bool parse_or_help(int argc, char** argv, const po::options_description& options, po::variables_map& vm,
                   const std::string& usage, const po::positional_options_description* positional = nullptr);

// Whole file, or stdin for "-". UserError for a missing, unreadable or non-regular file.
Bytes read_input(const std::string& path);

// "gzip:9,xz:9,ppm" → its SPECs; UserError naming --option for an empty list or entry. (A SPEC
// cannot itself contain a comma here.)
std::vector<std::string> split_specs(const std::string& option, const std::string& list);
// The files one after the other (the --context files).
Bytes read_inputs(const std::vector<std::string>& paths);
// The data to score: not empty, cut to its first max_bytes (0: all).
Bytes read_data(const std::string& path, long long max_bytes);
// Writes atomically: a temporary file next to `path`, renamed on success; "-" is stdout.
void write_output(const std::string& path, ByteView data);

// An input read piece by piece: stdin for "-", else a file (FileError as read_input when it is
// missing or a directory). size() is the file's size when it is a regular file.
class InputStream {
 public:
  explicit InputStream(const std::string& path);
  ~InputStream();
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;
  ByteSource source();
  std::optional<std::uint64_t> size() const { return size_; }

 private:
  std::string path_;
  std::FILE* file_;
  std::optional<std::uint64_t> size_;
};

// An output written piece by piece: stdout for "-" (each piece as it comes), else a file under
// write_output's rule (a temporary name, renamed by commit(); removed if commit() never comes).
class OutputStream {
 public:
  explicit OutputStream(const std::string& path);
  ByteSink sink();
  void commit();
  std::uint64_t written() const { return written_; }  // bytes handed to stdout or the file so far

 private:
  std::string path_;
  std::unique_ptr<AtomicFileWriter> file_;
  std::uint64_t written_ = 0;
};

// Strict checks that turn a bad number into a one-line UserError naming the option.
void require_finite(const char* option, double value);
void require_range(const char* option, double value, double lo, double hi, const char* range_text);
void require_at_least(const char* option, long long value, long long lo);
// Checks --threads (at least 1) and makes it the OpenMP thread count, so that a model's own
// teams (a transformer's matrix products) stay within it too.
void use_threads(long long threads);

// The flag that sets a library parameter: "top_k" → "--top-k" (the library's errors name
// parameters by their field names; a flag is that name with '-' for '_', but for a few).
std::string flag_for(const std::string& parameter);

// All threads the machine has (at least 1).
int default_threads();
// A seed from the operating system, for runs where the user did not give one (it is printed).
std::uint64_t fresh_seed();

}  // namespace zgen::cli
