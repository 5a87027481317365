#pragma once
// libbz2's code length without libbz2: the bits of the bzip2 stream that libbz2 1.0.x writes for
// `data` with blockSize100k = level, before the final byte's padding, which is what the bzip2
// family's code_length_bits returns. The stages: rle.hpp (first run-length stage and blocks),
// sort.hpp (Burrows–Wheeler order), entropy.hpp (move-to-front, Huffman tables and their bits).
#include <memory>

#include "zgen/bytes.hpp"
#include "zgen/compressor.hpp"

namespace zgen {

double bzip2_model_bits(ByteView data, int level);

// The fast path's state (state.cpp): ℓ(c·x) as bzip2_model_bits(c·x), with the sort of the
// context's block done once per context and each continuation's few new rotations inserted.
// Contexts of more than one block (or empty, or very repetitive) and continuations of more than
// 64 bytes are costed by `recompress`, a state that recompresses c·x with libbz2, which it
// keeps in step with the context.
std::unique_ptr<CodeLengthState> bzip2_model_state(int level, ByteView context,
                                                   std::unique_ptr<CodeLengthState> recompress);

// True when bzip2_model_bits equals the linked libbz2 on a few inputs (checked once); otherwise
// the family recompresses and prints a one-line warning.
bool bzip2_fast_path_verified(const Compressor& bzip2);

}  // namespace zgen
