#include "src/cli/method_options.hpp"

namespace zgen::cli {

void add_method_options(po::options_description& options, MethodFlags& f) {
  options.add_options()
      ("method", po::value(&f.method)->default_value(f.method),
       "spans: the context's words, numbers, punctuation and whitespace runs as candidates, each priced by its exact "
       "Δℓ, never copying --copy-window bytes of the context; bytes: the paper's one byte at a time")
      ("copy-window", po::value(&f.copy_window)->default_value(f.copy_window),
       "spans: no N-byte window of the sample may occur verbatim in the context and prompt (0 = allow copies)")
      ("lengths", po::value(&f.lengths)->default_value(f.lengths),
       "spans: how pieces of different lengths compare: typical (a typical piece of each length gets that length's share "
       "of the context's pieces; a piece keeps its advantage in Δℓ over the median of its length), share (each length "
       "its share, the compressor chooses within a length) or bonus (all at once, with --length-bonus)")
      ("length-bonus", po::value(&f.length_bonus)->default_value(f.length_bonus),
       "spans: p(piece) ∝ 2^(−(Δℓ − B·length)); B in bits per byte")
      ("vocabulary-bytes", po::value(&f.vocabulary_bytes)->default_value(f.vocabulary_bytes),
       "spans: candidates come from the context's last N bytes (0 = all)")
      ("memory", po::value(&f.memory)->default_value(f.memory),
       "spans: the model sees the context and the last N bytes generated (-1 = all)")
      ("allow-self-copy", "spans: let the sample repeat --copy-window bytes of itself")
      ("phrases", po::value(&f.phrase_pieces)->default_value(f.phrase_pieces),
       "spans: also offer phrases of 2..N pieces that occur at least twice in the context (1 = pieces only)")
      ("max-piece", po::value(&f.max_piece)->default_value(f.max_piece), "spans: longest candidate, in bytes")
      ("max-pieces", po::value(&f.max_pieces)->default_value(f.max_pieces),
       "spans: at most N candidates, the most frequent in the context (0 = all)");
}

void apply_method_options(const MethodFlags& f, const po::variables_map& vm, long long horizon, GenerationOptions& o) {
  const GenerationMethod named = parse_method(f.method);
  o.method = resolve_method(vm["method"].defaulted() ? std::nullopt : std::optional(named), static_cast<int>(horizon));
  require_at_least("copy-window", f.copy_window, 0);
  require_finite("length-bonus", f.length_bonus);
  require_at_least("vocabulary-bytes", f.vocabulary_bytes, 0);
  require_at_least("max-piece", f.max_piece, 1);
  require_at_least("max-pieces", f.max_pieces, 0);
  o.span.copy_window = static_cast<std::size_t>(f.copy_window);
  o.span.length_bonus = f.length_bonus;
  if (f.lengths == "typical") o.span.lengths = SpanOptions::Lengths::kTypical;
  else if (f.lengths == "share") o.span.lengths = SpanOptions::Lengths::kShare;
  else if (f.lengths == "bonus") o.span.lengths = SpanOptions::Lengths::kBonus;
  else throw UserError("--lengths must be typical, share or bonus, got '" + f.lengths + "'");
  o.span.vocabulary_bytes = static_cast<std::size_t>(f.vocabulary_bytes);
  o.span.max_piece = static_cast<std::size_t>(f.max_piece);
  o.span.max_pieces = static_cast<std::size_t>(f.max_pieces);
  require_at_least("memory", f.memory, -1);
  require_at_least("phrases", f.phrase_pieces, 1);
  o.span.phrase_pieces = static_cast<std::size_t>(f.phrase_pieces);
  o.span.memory = f.memory < 0 ? SpanOptions::kAll : static_cast<std::size_t>(f.memory);
  o.span.copy_self = !vm.count("allow-self-copy");
}

}  // namespace zgen::cli
