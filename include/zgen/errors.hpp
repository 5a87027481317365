#pragma once
// What zgen throws when the input is at fault. Every such error is a UserError with a one-line
// message that names the problem; the kinds below let a caller tell them apart (the CLI maps
// them to its flags and prints `zgen: <message>` with exit code 2; a binding maps them to its
// own exception types). Anything else thrown is a bug in zgen, not in the input.
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

namespace zgen {

// A problem with what the caller gave: a value, a SPEC, a file, a stream.
struct UserError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A parameter outside its range, or at odds with another. The library names parameters by
// their field names (SamplerParams::top_k is "top_k"). `message` holds "{}" where the
// parameter's name goes and "{other_name}" where another parameter's goes, so that a front end
// can put its own names there (the CLI writes flags: "--top-k"). Text that comes from the user
// goes in through literal(), which escapes its braces ("{{" and "}}" stand for "{" and "}"):
//   InvalidParameter("top_k", "{} must be >= 1 (got 0)").what() == "top_k must be >= 1 (got 0)"
//   .worded(flag) == "--top-k must be >= 1 (got 0)" where flag("top_k") == "--top-k"
class InvalidParameter : public UserError {
 public:
  InvalidParameter(std::string parameter, std::string message);
  const std::string& parameter() const { return parameter_; }
  static std::string literal(const std::string& text);
  // The message with name(p) for every parameter p it mentions.
  std::string worded(const std::function<std::string(const std::string&)>& name) const;

 private:
  std::string parameter_;
  std::string message_;
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
// float arithmetic): refused rather than decoded into garbage.
struct ModelMismatch : UserError {
  using UserError::UserError;
};

}  // namespace zgen
