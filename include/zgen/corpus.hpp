#pragma once
// The built-in corpus, compiled into the library: what `zgen sample` conditions on when it is
// given no context, and what primes ppm:N.
#include "zgen/bytes.hpp"

namespace zgen {

// About 300 KB of public-domain English prose: the first chapters of Melville's Moby Dick
// (data/README.md in the source tree says where it comes from).
ByteView default_corpus();
inline constexpr const char* kDefaultCorpusName = "built-in corpus (Moby Dick, first 300 KB)";

}  // namespace zgen
