#pragma once
// The anti-copy rule of the span sampler: a continuation may not make any window of N bytes of
// the text that occurs verbatim in the source (the context and prompt). A compressor prices a
// long match as nearly free, so without the rule its samples drift into copying the context.
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>

#include "zgen/bytes.hpp"

namespace zgen {

class CopyGuard {
 public:
  // window: N ≥ 1 (the caller's 0 means "no guard": do not build one). Every N-byte window of
  // `source` is remembered exactly (no hashing shortcut: the rule is never violated by a
  // collision, and never refuses what it need not).
  CopyGuard(ByteView source, std::size_t window);

  // True when text·piece has no N-byte window that ends inside `piece` and occurs in the source.
  // Windows that end inside `text` are not looked at: they were checked when they were made.
  bool allows(ByteView text, ByteView piece) const;

  // True when text·piece ends with N bytes that occur in the source (only the last window).
  bool ends_in_source(ByteView text, ByteView piece) const;

  // True when `window` bytes (exactly N) occur in the source.
  bool in_source(ByteView window) const;

  // Adds one N-byte window to the source: the span sampler adds the sample's own windows as it
  // goes, so that the sample cannot repeat itself verbatim either.
  void add_window(ByteView window);

  std::size_t window() const { return n_; }

 private:
  bool known(std::string_view window) const;

  std::string source_;
  std::size_t n_;
  std::unordered_set<std::string_view> windows_;  // views into source_
  std::unordered_set<std::string> added_;
};

}  // namespace zgen
