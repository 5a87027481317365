#pragma once
// The spans a span sampler proposes: the context's own pieces, cut by one generic rule (the
// pre-tokenisation of byte-level BPE vocabularies, on bytes): a word with the one space before
// it, a number with its space, a run of punctuation with its space, or a run of whitespace.
// Nothing is learned and no list ships with zgen: the vocabulary is whatever the context says.
#include <cstddef>
#include <vector>

#include "zgen/bytes.hpp"

namespace zgen {

// The pieces of `text` in order; concatenated they give `text` back exactly.
//   letters: ASCII letters and every byte >= 0x80 (so UTF-8 words stay whole), and one ' or -
//            between two letters (so "don't" and "well-being" are one word each);
//   digits:  0-9;
//   spaces:  ' ', '\t', '\n', '\r', '\v', '\f';
//   other:   any other byte (punctuation, symbols, control bytes).
// A piece is " ?letters+", " ?digits+", " ?other+" (the optional one being a single ' '), or a
// run of spaces; a run of spaces followed by a non-space gives its last ' ' (if it is one) to the
// piece after it, as GPT-2's `\s+(?!\S)` does.
std::vector<ByteView> split_pieces(ByteView text);

// The distinct pieces of `text` but its first and last (either may be cut mid-word, and a
// prompt's trailing space is no piece of its own) that are at most `max_length` bytes long, most frequent first
// (ties: shorter first, then bytewise), at most `max_pieces` of them (0: all).
// With phrase_pieces > 1, also the phrases of 2..phrase_pieces consecutive pieces that occur at
// least twice (within max_length), ranked with the pieces by their counts.
std::vector<Bytes> piece_vocabulary(ByteView text, std::size_t max_length, std::size_t max_pieces = 0,
                                    std::size_t phrase_pieces = 1);

}  // namespace zgen
