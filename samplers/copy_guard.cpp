#include "samplers/copy_guard.hpp"

#include <stdexcept>

namespace zgen {

CopyGuard::CopyGuard(ByteView source, std::size_t window) : source_(source.begin(), source.end()), n_(window) {
  if (window < 1) throw std::invalid_argument("CopyGuard: window must be at least 1");
  if (source_.size() >= n_) {
    windows_.reserve(source_.size() - n_ + 1);
    for (std::size_t i = 0; i + n_ <= source_.size(); ++i) windows_.insert(std::string_view(source_).substr(i, n_));
  }
}

bool CopyGuard::ends_in_source(ByteView text, ByteView piece) const {
  if (text.size() + piece.size() < n_) return false;
  std::string tail;
  const std::size_t from_piece = std::min(piece.size(), n_);
  tail.append(reinterpret_cast<const char*>(text.data() + text.size() - (n_ - from_piece)), n_ - from_piece);
  tail.append(reinterpret_cast<const char*>(piece.data() + piece.size() - from_piece), from_piece);
  return known(tail);
}

bool CopyGuard::in_source(ByteView window) const {
  if (window.size() != n_) throw std::invalid_argument("CopyGuard::in_source: window of the wrong size");
  return known(std::string_view(reinterpret_cast<const char*>(window.data()), window.size()));
}

bool CopyGuard::known(std::string_view w) const {
  return windows_.count(w) > 0 || (!added_.empty() && added_.count(std::string(w)) > 0);
}

void CopyGuard::add_window(ByteView window) {
  if (window.size() != n_) throw std::invalid_argument("CopyGuard::add_window: window of the wrong size");
  if (!in_source(window)) added_.insert(std::string(reinterpret_cast<const char*>(window.data()), window.size()));
}

bool CopyGuard::allows(ByteView text, ByteView piece) const {
  if ((windows_.empty() && added_.empty()) || piece.empty()) return true;
  // The windows that end inside `piece` start in the last N-1 bytes of `text` or in `piece`.
  const std::size_t from_text = std::min(text.size(), n_ - 1);
  std::string joined(reinterpret_cast<const char*>(text.data() + text.size() - from_text), from_text);
  joined.append(reinterpret_cast<const char*>(piece.data()), piece.size());
  for (std::size_t end = std::max(n_, from_text + 1); end <= joined.size(); ++end)
    if (known(std::string_view(joined).substr(end - n_, n_))) return false;
  return true;
}

}  // namespace zgen
