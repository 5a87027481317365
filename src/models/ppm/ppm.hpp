#pragma once
// ppm:N — the strong classic baseline: an adaptive context-mixing byte model in the
// PAQ/lpaq family (designed for zgen; the lpaq1/paq8 descriptions informed it, no code
// was taken). It needs no training, learns as it goes, and is bit-exact deterministic:
// the coding path is integer arithmetic only, single-threaded, with no dependence on
// addresses or uninitialised memory.
//
// Why context mixing and not PPM with exclusions: PPM picks one context order per symbol
// and escapes; mixing lets every order vote, weighted by how well it has been doing in
// similar situations, which is worth ~15% on English text (the target, ≤ 21.5%
// on sotu-valid, is PAQ6 territory; plain PPM stays around 24%).
//
// The model predicts each byte as 8 binary decisions, most significant bit first:
//  1. Contexts: orders 0..min(N,4), then N, N−2, … above 4 (ppm:6 → 0,1,2,3,4,6), plus two
//     word contexts (the current word, case-folded; the current and previous word). Each
//     context hashes to a 16-byte slot of bit-history states per nibble
//     (slot_table.hpp, state_table.hpp); each state is mapped to a probability by an
//     adaptive StateMap entry per (context, state) (state_map.hpp). The contexts, their
//     hashes (contexts.hpp), the slots' layout (slot_layout.hpp) and the walk over a
//     byte's bits (bit_walk.hpp) are shared with ppm2:N and ppm3:N; each version's own
//     parts are in model.cpp and lean_model.cpp.
//  2. A match model (match_model.hpp): the byte that followed the last occurrence of
//     the last 6 bytes, trusted according to the match length.
//  3. Three logistic mixers (mixer.hpp) combine the stretched probabilities, with
//     weight sets selected by the partial byte, by (longest order that has seen this
//     context × match length), and by the previous byte; a final mixer combines the
//     three.
//  4. Three APM/SSE stages (apm.hpp) refine the result in order-0, order-1 and
//     hashed order-2 contexts; output p1 = P(1)·2^16, clamped to [8, 65528].
//
// Primer. A model that starts blank cannot beat brotli (which ships a 120 KB dictionary)
// on the paper's 2048-byte chunks: blank, ppm:6 codes sotu-valid in 2 KB chunks at ~43%
// of the raw size, brotli -11 at 36.8%. So, like brotli, ppm:N carries built-in general
// knowledge: before anything else it has learned the first 64 KB of the built-in corpus
// (Moby Dick, public domain; a different author, century and genre than the SOTU test
// text, so this is not training on the test domain). reset() returns to that primed
// state — "forget everything" means forget everything it saw since. Priming happens once
// per process per order and is shared by all instances; installing it and
// resetting to it are cheap (only what changed since is rewritten), which the ~380 resets
// of a chunked run need. make_context_mixing(order, {}) gives the blank model
// ("ppm:N:unprimed"). The primer is part of the model's identity: changing
// data/default-corpus.txt's first 64 KB changes ppm:N's predictions, hence its files.
//
// log_probs() walks all 255 nodes of the next byte's bit tree, applying along each path
// exactly the updates the coding path would apply (and rolling them back: undo_log.hpp),
// so exp(out[b]) equals the product of the coding path's 8 bit probabilities for b
// (up to float rounding) and the model is unchanged afterwards. It costs as much as dozens
// of bit-codings (BENCHMARKS.md, "Models as compressors").
//
// Memory: ~120 MB of tables for ppm:6 (ppm2:6 and ppm3:6: ~35 MB), on 2 MB pages where the OS allows (zeroed_pages.hpp:
// the tables are read at random), plus the primed image shared by all instances. Speed:
// bench/bench_ppm.cpp and `zgen compress`, figures in BENCHMARKS.md ("Models as compressors").
#include <cstddef>
#include <memory>

#include "zgen/errors.hpp"
#include "zgen/predictor.hpp"

namespace zgen {

inline constexpr std::size_t kContextMixingPrimerBytes = 65536;
// Higher orders gain little on text and run slower (BENCHMARKS.md, "Models as compressors").
inline constexpr int kContextMixingDefaultOrder = 6;

// The built-in primer: the first kContextMixingPrimerBytes of the built-in corpus.
ByteView context_mixing_primer();

// ppm:N (version 1, ContextMixingModel), primed with the built-in primer. order: 1..12
// (UserError otherwise).
std::unique_ptr<Predictor> make_context_mixing(int order);
// The same model primed with other text (empty: a blank model, named "ppm:N:unprimed").
std::unique_ptr<Predictor> make_context_mixing(int order, ByteView primer);

// ppm2:N (version 2, LeanModel in lean_model.hpp): the same family with fewer parts per bit,
// built for speed: about 1.5x ppm:N's speed at ppm:N's rate on text, in 40% of its memory
// (BENCHMARKS.md, "ppm2"). The same primer, orders and errors as make_context_mixing. A
// file names its version by its SPEC ("ppm:6" or "ppm2:6").
std::unique_ptr<Predictor> make_lean_context_mixing(int order);
std::unique_ptr<Predictor> make_lean_context_mixing(int order, ByteView primer);

// ppm3:N (version 3, LeanModel<3>): ppm2:N with a fast path for near-certain bits and both
// nibbles' slots of a context in one page: faster, at about 0.3% more output on text
// (BENCHMARKS.md, "ppm3"). The same primer, orders and errors.
std::unique_ptr<Predictor> make_fast_context_mixing(int order);
std::unique_ptr<Predictor> make_fast_context_mixing(int order, ByteView primer);

}  // namespace zgen
