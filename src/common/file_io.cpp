#include "src/common/file_io.hpp"
#include "zgen/errors.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace zgen {
namespace {

// "image 'x.png'" or, without a noun, "'x.png'".
std::string named(const std::string& path, std::string_view noun) {
  return (noun.empty() ? std::string() : std::string(noun) + " ") + "'" + path + "'";
}

std::string with_article(std::string_view noun) {
  if (noun.empty()) return "a file";
  return (std::string_view("aeiou").find(noun[0]) != std::string_view::npos ? "an " : "a ") + std::string(noun);
}

}  // namespace

InputFileInfo check_input_file(const std::string& path, std::string_view noun) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw FileError(path, "cannot open " + named(path, noun) + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw FileError(path, "'" + path + "' is a directory, not " + with_article(noun));
  return {static_cast<std::uint64_t>(st.st_size), S_ISREG(st.st_mode)};
}

Bytes read_file(const std::string& path, std::string_view noun) {
  const InputFileInfo info = check_input_file(path, noun);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path, "cannot open " + named(path, noun) + ": " + std::strerror(errno));
  Bytes data;
  if (info.regular) data.reserve(info.size);
  data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) throw FileError(path, "cannot read " + named(path, noun));
  return data;
}

void write_file_atomically(const std::string& path, ByteView data) {
  AtomicFileWriter out(path);
  out.write(data);
  out.commit();
}

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    // A device or a pipe (/dev/null, /dev/stdout, a FIFO): written in place; renaming over it
    // would replace the device node with a regular file.
    file_ = std::fopen(path_.c_str(), "wb");
    if (!file_) throw UserError("cannot open '" + path_ + "' for writing: " + std::strerror(errno));
    return;
  }
  tmp_ = path_ + ".zgen-tmp-" + std::to_string(::getpid());
  file_ = std::fopen(tmp_.c_str(), "wb");
  if (!file_) throw UserError("cannot create '" + tmp_ + "': " + std::strerror(errno));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (file_) {
    std::fclose(file_);
    if (!tmp_.empty()) std::remove(tmp_.c_str());
  }
}

void AtomicFileWriter::write(ByteView data) {
  if (!file_) throw std::logic_error("AtomicFileWriter: write after commit");
  if (data.empty()) return;  // an empty span may hold a null pointer, which fwrite must not see
  if (std::fwrite(data.data(), 1, data.size(), file_) != data.size()) throw UserError("cannot write '" + written() + "'");
}

void AtomicFileWriter::commit() {
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) {
    if (!tmp_.empty()) std::remove(tmp_.c_str());
    throw UserError("cannot write '" + written() + "'");
  }
  if (tmp_.empty()) return;
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp_.c_str());
    throw UserError("cannot rename '" + tmp_ + "' to '" + path_ + "': " + why);
  }
}

const std::string& AtomicFileWriter::written() const { return tmp_.empty() ? path_ : tmp_; }

}  // namespace zgen
