#pragma once
// What zgen throws when the input is at fault. Every such error is a UserError with a one-line
// message that names the problem; the kinds below let a caller tell them apart (the CLI prints
// `zgen: <message>` with exit code 2; a binding maps them to its own exception types). Anything
// else thrown is a bug in zgen, not in the input.
//
// Messages name the library's parameters by their field names (SamplerParams::top_k is
// "top_k"). A message built from a Wording marks each such name, "{top_k}", so that a front end
// can put its own name there: what() says "top_k must be >= 1", the CLI's worded(flag_for)
// says "--top-k must be >= 1". In a Wording "{{" and "}}" stand for braces; text from the user
// goes in through literal(), which escapes its braces.
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

namespace zgen {

// A message that mentions parameters as "{name}" (see above).
struct Wording {
  std::string text;
};

// Escapes the braces of text that is not a Wording (a file name, a SPEC, a value the user typed).
std::string literal(const std::string& text);

// A problem with what the caller gave: a value, a SPEC, a file, a stream.
class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message);  // plain text: mentions no parameter
  explicit UserError(const Wording& message);
  // The message with name(p) for every parameter p it mentions (what() is worded(identity)).
  std::string worded(const std::function<std::string(const std::string&)>& name) const;
  // The message as a Wording, to build a longer one from it (the parameters stay marked).
  Wording wording() const { return {wording_}; }

 private:
  std::string wording_;  // the message as a Wording's text
};

// A parameter outside its range, or at odds with another. `message` may write "{}" for the
// parameter itself:
//   InvalidParameter("top_k", "{} must be >= 1 (got 0)").what() == "top_k must be >= 1 (got 0)"
class InvalidParameter : public UserError {
 public:
  InvalidParameter(std::string parameter, const std::string& message);
  const std::string& parameter() const { return parameter_; }

 private:
  std::string parameter_;
};

// A model SPEC that names nothing zgen can build: an unknown family, a malformed or
// out-of-range level, a mix with too many parts.
struct SpecError : UserError {
  using UserError::UserError;
};

// Bytes that are not what they claim to be: a truncated or corrupt .zgen file or checkpoint,
// an undecodable image or recording, a stream a decompressor rejects.
struct FormatError : UserError {
  using UserError::UserError;
};

// A file or directory that cannot be found, read or written.
class FileError : public UserError {
 public:
  FileError(std::string path, const std::string& message) : UserError(message), path_(std::move(path)) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Data coded with one model, decoded with another (or with the same weights computed with other
// float arithmetic), or a model that cannot be found: refused rather than decoded into garbage.
struct ModelMismatch : UserError {
  using UserError::UserError;
};

}  // namespace zgen
