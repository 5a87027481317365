#pragma once
// Reading a whole file, and writing one so that a reader never sees half of it.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"

namespace zgen {

// What stat() says of an input that exists and is not a directory.
struct InputFileInfo {
  std::uint64_t size = 0;  // meaningful for regular files only
  bool regular = false;    // false for a pipe or a device (/dev/stdin, <(...)), which read_file also reads
};

// Checks that `path` names something to read. `noun` says what it should be, for the messages
// (FileError):   cannot open image 'x.png': No such file or directory     (noun "image")
//                'x.png' is a directory, not an image
// Without a noun: "cannot open 'x': ...", "'x' is a directory, not a file".
InputFileInfo check_input_file(const std::string& path, std::string_view noun = {});

// The whole of the file at `path` (any size; a pipe is read to its end). Throws FileError as
// check_input_file does, and "cannot read [noun ]'x'" on a read error.
Bytes read_file(const std::string& path, std::string_view noun = {});

// Writes to a temporary file next to `path`, then renames it over `path`: the file appears
// whole or not at all (a device or a pipe is written in place, as AtomicFileWriter says). Throws UserError naming the file on any failure (and removes the
// temporary file).
void write_file_atomically(const std::string& path, ByteView data);

// The same rule for output written piece by piece: the pieces go to a temporary file next to
// `path`, and commit() renames it over `path`. Destroyed without commit() (an error on the way),
// it removes the temporary file and `path` is left as it was. UserError naming the file on any
// failure to create, write or rename. A `path` that is a device or a pipe (/dev/null,
// /dev/stdout, a FIFO) has nothing to rename over and is written in place.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  void write(ByteView data);
  void commit();

 private:
  const std::string& written() const;  // the file being written: tmp_, or path_ in place

  std::string path_, tmp_;  // tmp_ empty: writing path_ in place
  std::FILE* file_ = nullptr;
};

}  // namespace zgen
