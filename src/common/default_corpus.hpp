#pragma once
#include "zgen/bytes.hpp"

namespace zgen {
// About 300 KB of public-domain English prose (Moby Dick, chapters 1 to ~30): see data/README.md.
ByteView default_corpus();
inline constexpr const char* kDefaultCorpusName = "built-in corpus (Moby Dick, first 300 KB)";
}  // namespace zgen
