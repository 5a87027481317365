#include "zgen/errors.hpp"

namespace zgen {
namespace {

// Replaces "{}" with name(parameter) and "{other}" with name("other"), "{{" and "}}" with one
// brace; any other brace stays as it is.
std::string fill_names(const std::string& message, const std::string& parameter,
                 const std::function<std::string(const std::string&)>& name) {
  std::string out;
  std::size_t i = 0;
  while (i < message.size()) {
    if ((message[i] == '{' || message[i] == '}') && i + 1 < message.size() && message[i + 1] == message[i]) {
      out += message[i];
      i += 2;
      continue;
    }
    const std::size_t close = message[i] == '{' ? message.find('}', i) : std::string::npos;
    const std::string inside = close == std::string::npos ? "" : message.substr(i + 1, close - i - 1);
    const bool placeholder = close != std::string::npos &&
                             inside.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789") == std::string::npos;
    if (!placeholder) {
      out += message[i++];
      continue;
    }
    out += name(inside.empty() ? parameter : inside);
    i = close + 1;
  }
  return out;
}

std::string plain(const std::string& parameter) { return parameter; }

}  // namespace

InvalidParameter::InvalidParameter(std::string parameter, std::string message)
    : UserError(fill_names(message, parameter, plain)), parameter_(std::move(parameter)), message_(std::move(message)) {}

std::string InvalidParameter::literal(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '{' || c == '}') out += c;
  }
  return out;
}

std::string InvalidParameter::worded(const std::function<std::string(const std::string&)>& name) const {
  return fill_names(message_, parameter_, name);
}

}  // namespace zgen
