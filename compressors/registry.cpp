// SPEC → compressor: `family[:level]` for the library families, `cmd:COMMAND` for programs.
#include "zgen/compressor.hpp"

#include <charconv>
#include <string_view>

#include "compressors/families.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

struct Family {
  const char* name;
  int min_level, max_level, default_level;
  std::unique_ptr<Compressor> (*make)(int);
};

// gzip starts at 1: level 0 only stores, which predicts nothing.
constexpr Family kFamilies[] = {
    {"gzip", 1, 9, 9, make_gzip},   {"zstd", 1, 22, 19, make_zstd},     {"xz", 0, 9, 9, make_xz},
    {"bzip2", 1, 9, 9, make_bzip2}, {"brotli", 0, 11, 11, make_brotli},
    // Conditional variants: the same compressor, the context given another way (own definition).
    {"zstd-dict", 1, 22, 19, make_zstd_dict}, {"xz-dict", 0, 9, 9, make_xz_dict},
    {"brotli-dict", 0, 11, 11, make_brotli_dict},
};
// Families with one setting only (their maximum effort): the SPEC is the bare name.
struct FixedFamily {
  const char* name;
  std::unique_ptr<Compressor> (*make)();
};
constexpr FixedFamily kFixedFamilies[] = {{"png", make_png}, {"flac", make_flac}};
constexpr const char* kCommandFamily = "cmd";
constexpr double kDefaultCommandTimeout = 30;

std::string known_families() {
  std::string s;
  for (const auto& f : compressor_families()) s += (s.empty() ? "" : ", ") + f;
  return s;
}

// Quoted text for a message, kept on one line.
std::string quoted(std::string_view s) {
  std::string q = "'";
  for (char c : s.substr(0, 100)) q += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  return q + (s.size() > 100 ? "...'" : "'");
}

// A plain decimal integer with an optional minus sign: no '+', spaces, exponents or suffixes.
int parse_level(const Family& f, std::string_view text, const std::string& spec) {
  const std::string range = std::to_string(f.min_level) + ".." + std::to_string(f.max_level);
  const std::string_view digits = text.starts_with('-') ? text.substr(1) : text;
  const bool plain = !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (!plain)
    throw SpecError("compressor " + quoted(spec) + ": level " + quoted(text) + " is not an integer (" + f.name +
                    " levels are " + range + ")");
  long long level = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), level);
  if (ec != std::errc{} || ptr != text.data() + text.size() || level < f.min_level || level > f.max_level)
    throw SpecError("compressor " + quoted(spec) + ": level " + std::string(text) + " is out of range (" + f.name +
                    " levels are " + range + ")");
  return static_cast<int>(level);
}

// One pair of matching outer quotes, as a shell would have needed them, is not part of the command.
std::string_view strip_quotes(std::string_view s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front())
    return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

std::vector<std::string> compressor_families() {
  std::vector<std::string> names;
  for (const auto& f : kFamilies) names.emplace_back(f.name);
  for (const auto& f : kFixedFamilies) names.emplace_back(f.name);
  names.emplace_back(kCommandFamily);
  return names;
}

std::unique_ptr<Compressor> make_compressor(const std::string& spec) {
  return make_compressor(spec, kDefaultCommandTimeout);
}

std::unique_ptr<Compressor> make_compressor(const std::string& spec, double command_timeout_seconds) {
  if (spec.empty()) throw SpecError("empty compressor spec (expected family[:level], e.g. zstd:19; families: " +
                                    known_families() + ")");
  const size_t colon = spec.find(':');
  const std::string_view family = std::string_view(spec).substr(0, colon);
  const bool has_arg = colon != std::string::npos;
  const std::string_view arg = has_arg ? std::string_view(spec).substr(colon + 1) : std::string_view();

  if (family == kCommandFamily) {
    const std::string_view command = strip_quotes(arg);
    if (command.find_first_not_of(" \t\r\n") == std::string_view::npos)
      throw SpecError("compressor " + quoted(spec) + ": empty command (expected cmd:COMMAND, e.g. cmd:xz -9 -c)");
    if (!(command_timeout_seconds > 0))
      throw SpecError("compressor " + quoted(spec) + ": the command timeout must be positive");
    return make_command(std::string(command), command_timeout_seconds);
  }
  for (const auto& f : kFamilies) {
    if (family != f.name) continue;
    if (has_arg && arg.empty())
      throw SpecError("compressor " + quoted(spec) + ": missing level after ':' (" + f.name + " levels are " +
                      std::to_string(f.min_level) + ".." + std::to_string(f.max_level) + ")");
    return f.make(has_arg ? parse_level(f, arg, spec) : f.default_level);
  }
  for (const auto& f : kFixedFamilies) {
    if (family != f.name) continue;
    if (has_arg)
      throw SpecError("compressor " + quoted(spec) + ": " + f.name + " takes no level (write just '" + f.name + "')");
    return f.make();
  }
  throw SpecError("unknown compressor family " + quoted(family) + " in spec " + quoted(spec) +
                  " (known: " + known_families() + ")");
}

}  // namespace zgen
