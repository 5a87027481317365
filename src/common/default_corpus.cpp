// The built-in corpus: the first 300 KB of Melville's Moby Dick (public domain),
// linked into the binary so that `zgen sample` works with no arguments.
#include "zgen/corpus.hpp"

asm(".section .rodata\n"
    ".balign 16\n"
    "zgen_default_corpus_begin:\n"
    ".incbin \"" ZGEN_CORPUS_PATH "\"\n"
    "zgen_default_corpus_end:\n"
    ".previous\n");

extern "C" __attribute__((visibility("hidden"))) const std::uint8_t zgen_default_corpus_begin[];
extern "C" __attribute__((visibility("hidden"))) const std::uint8_t zgen_default_corpus_end[];

namespace zgen {
ByteView default_corpus() {
  return {zgen_default_corpus_begin, static_cast<std::size_t>(zgen_default_corpus_end - zgen_default_corpus_begin)};
}
}  // namespace zgen
