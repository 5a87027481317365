#include "zgen/errors.hpp"

namespace zgen {
namespace {

// The Wording's text with name(p) for each "{p}", one brace for "{{" and "}}"; any other brace
// stays as it is.
std::string fill_names(const std::string& text, const std::function<std::string(const std::string&)>& name) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if ((text[i] == '{' || text[i] == '}') && i + 1 < text.size() && text[i + 1] == text[i]) {
      out += text[i];
      i += 2;
      continue;
    }
    const std::size_t close = text[i] == '{' ? text.find('}', i) : std::string::npos;
    const std::string inside = close == std::string::npos ? "" : text.substr(i + 1, close - i - 1);
    const bool placeholder = !inside.empty() &&
                             inside.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789") == std::string::npos;
    if (!placeholder) {
      out += text[i++];
      continue;
    }
    out += name(inside);
    i = close + 1;
  }
  return out;
}

std::string as_is(const std::string& parameter) { return parameter; }

// "{}" → "{parameter}", leaving escaped braces alone.
std::string name_parameter(const std::string& message, const std::string& parameter) {
  std::string out;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if ((message[i] == '{' || message[i] == '}') && i + 1 < message.size() && message[i + 1] == message[i]) {
      out += message.substr(i, 2);
      ++i;
    } else if (message.compare(i, 2, "{}") == 0) {
      out += "{" + parameter + "}";
      ++i;
    } else {
      out += message[i];
    }
  }
  return out;
}

}  // namespace

std::string literal(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '{' || c == '}') out += c;
  }
  return out;
}

UserError::UserError(const std::string& message) : std::runtime_error(message), wording_(literal(message)) {}

UserError::UserError(const Wording& message)
    : std::runtime_error(fill_names(message.text, as_is)), wording_(message.text) {}

std::string UserError::worded(const std::function<std::string(const std::string&)>& name) const {
  return fill_names(wording_, name);
}

InvalidParameter::InvalidParameter(std::string parameter, const std::string& message)
    : UserError(Wording{name_parameter(message, parameter)}), parameter_(std::move(parameter)) {}

}  // namespace zgen
