#pragma once
// A lossless compressor, the code-length state that turns it into a model, and the SPECs that
// name the built-in ones: "gzip:9", "zstd:19", "xz:9", "bzip2:9", "brotli:11", "png", "flac",
// "cmd:xz -9 -c", and the conditional variants "zstd-dict:19", "xz-dict:9" (the context given
// to the compressor as a dictionary: another definition of ℓ(x | c), much faster to sample).
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"

namespace zgen {

// The compressor's state after a context c, from which the code length of c·x is
// costed for many continuations x. Implementations that can snapshot the compressor
// (the deflate model) cost x without recompressing c; the others recompress.
//
// Invariant: bits_with(x) == compressor.code_length_bits_given(c, x) exactly, where c is
// every byte given to begin() and append() so far, and context_bits() == bits_with({}).
// For most SPECs that is code_length_bits(c·x), the length of c·x compressed from scratch;
// the conditional variants (zstd-dict:L) define it otherwise. A state is used by one
// thread at a time; clone() gives an independent copy for another thread.
struct CodeLengthState {
  virtual ~CodeLengthState() = default;
  virtual double context_bits() = 0;                    // ℓ(c), i.e. ℓ(ε | c)
  virtual double bits_with(ByteView continuation) = 0;  // ℓ(c·x), i.e. ℓ(x | c)
  virtual void append(ByteView committed) = 0;          // c ← c·committed
  virtual std::unique_ptr<CodeLengthState> clone() const = 0;

  // Costing several continuations together, for states that share work across them (flac
  // encodes a group's last frames as one stream): out[i] = bits_with(xs[i]) exactly, for each i.
  // The predictor hands each thread whole groups of up to group_size() consecutive
  // continuations, so that threads split the shared work instead of each doing all of it.
  // group_size() == 1 (the default): nothing shared, continuations are handed out one by one.
  virtual std::size_t group_size() const { return 1; }
  virtual void bits_with_each(std::span<const Bytes> xs, std::span<double> out) {
    for (std::size_t i = 0; i < xs.size(); ++i) out[i] = bits_with(xs[i]);
  }
};

struct Compressor {
  virtual ~Compressor() = default;
  // The canonical spec that makes this compressor again, e.g. "gzip:9".
  virtual std::string name() const = 0;
  virtual Bytes compress(ByteView data) const = 0;
  // Throws UserError when the input is not a valid stream of this format.
  virtual Bytes decompress(ByteView data) const = 0;
  // Code length in bits; bit-exact where the format allows (see bit_exact()).
  virtual double code_length_bits(ByteView data) const { return 8.0 * compress(data).size(); }
  // The definition a model of this SPEC prices continuations by, from scratch: the code length of
  // x after the context c. The default is code_length_bits(c·x), so that the model's extra length
  // is ℓ(c·x) − ℓ(c). Conditional variants (zstd-dict:L) give the context to the compressor
  // another way (as a dictionary); begin()'s state must reproduce this exactly.
  virtual double code_length_bits_given(ByteView context, ByteView continuation) const;
  // True when code_length_bits counts bits, not whole bytes of output.
  virtual bool bit_exact() const { return false; }
  // The most context that can influence the code length of what follows it
  // (the match window); the predictor keeps between this and twice this.
  virtual std::size_t window_bytes() const = 0;
  // The fast path. The default recompresses c·x from scratch for every x.
  virtual std::unique_ptr<CodeLengthState> begin(ByteView context) const;
};

// The state that recompresses c·x from scratch: the reference every fast path must equal.
std::unique_ptr<CodeLengthState> recompressing_state(const Compressor& compressor, ByteView context);

// Parses a compressor SPEC; throws SpecError naming the problem for an unknown family, a
// malformed or out-of-range level.
std::unique_ptr<Compressor> make_compressor(const std::string& spec);
// The same, with the seconds a cmd: compressor may run before it is killed (default 30).
std::unique_ptr<Compressor> make_compressor(const std::string& spec, double command_timeout_seconds);

// The families that make_compressor knows, for --help and error messages.
std::vector<std::string> compressor_families();

}  // namespace zgen
