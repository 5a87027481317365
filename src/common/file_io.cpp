#include "src/common/file_io.hpp"
#include "zgen/errors.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace zgen {

void write_file_atomically(const std::string& path, ByteView data) {
  const std::string tmp = path + ".zgen-tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw UserError("cannot create '" + tmp + "': " + std::strerror(errno));
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw UserError("cannot write '" + tmp + "'");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw UserError("cannot rename '" + tmp + "' to '" + path + "': " + why);
  }
}

}  // namespace zgen
