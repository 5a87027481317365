#include "zgen/transformer.hpp"

#include <charconv>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"

namespace zgen {

namespace {

std::string with_commas(std::size_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

int parse_int_field(const std::map<std::string, std::string>& m, const std::string& key) {
  const auto it = m.find(key);
  if (it == m.end()) throw UserError("checkpoint metadata lacks '" + key + "'");
  const std::string& s = it->second;
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    throw UserError("checkpoint metadata '" + key + "' is not a whole number: '" + s.substr(0, 40) + "'");
  return v;
}

bool parse_bool_field(const std::map<std::string, std::string>& m, const std::string& key) {
  const auto it = m.find(key);
  if (it == m.end()) throw UserError("checkpoint metadata lacks '" + key + "'");
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  throw UserError("checkpoint metadata '" + key + "' must be true or false, not '" + it->second.substr(0, 40) + "'");
}

}  // namespace

void TransformerConfig::validate() const {
  auto fail = [](const std::string& what) { throw UserError("transformer config: " + what); };
  if (vocab != 256) fail("vocabulary must be 256 (bytes), not " + std::to_string(vocab));
  if (layers < 1 || layers > 64) fail("layers must be in 1..64, not " + std::to_string(layers));
  if (dim < 2 || dim > 4096) fail("dim must be in 2..4096, not " + std::to_string(dim));
  if (heads < 1 || heads > dim) fail("heads must be in 1..dim, not " + std::to_string(heads));
  if (dim % heads != 0) fail("dim " + std::to_string(dim) + " is not a multiple of heads " + std::to_string(heads));
  if (!learned_positions && dim % 2 != 0) fail("sinusoidal positions need an even dim, not " + std::to_string(dim));
  if (seq < 1 || seq > 65536) fail("seq must be in 1..65536, not " + std::to_string(seq));
  for (const int width : {raster_width, hint_width}) {
    if (width < 0 || width > 32767) fail("raster width must be in 0..32767, not " + std::to_string(width));
    if (width > 0 && seq < 2 * width + 2)
      fail("a raster " + std::to_string(width) + " wide needs seq ≥ " + std::to_string(2 * width + 2) +
           " (the window must hold the row above), not " + std::to_string(seq));
  }
  if (raster_width > 0 && hint_width > 0) fail("a model takes raster hints or predicts raster residuals, not both");
}

std::size_t TransformerConfig::num_parameters() const {
  const std::size_t C = static_cast<std::size_t>(dim), V = static_cast<std::size_t>(vocab);
  const std::size_t per_block = 12 * C * C + 13 * C;  // LN 2C+2C, qkv 3C²+3C, proj C²+C, fc 4C²+4C, fcproj 4C²+C
  return V * C + hint_parameters() + (learned_positions ? static_cast<std::size_t>(seq) * C : 0) +
         static_cast<std::size_t>(layers) * per_block + 2 * C + (tied_head ? 0 : V * C);
}

std::string TransformerConfig::describe() const {
  const std::size_t C = static_cast<std::size_t>(dim), V = static_cast<std::size_t>(vocab);
  std::string s = with_commas(num_parameters()) + " parameters (embedding " + with_commas(V * C) +
                  (hint_width > 0 ? ", hint embedding " + with_commas(hint_parameters()) : std::string()) + ", positions " +
                  (learned_positions ? with_commas(static_cast<std::size_t>(seq) * C) + " learned"
                                     : std::string("0 (sinusoidal)")) +
                  ", blocks " + with_commas(static_cast<std::size_t>(layers) * (12 * C * C + 13 * C)) +
                  ", final norm " + with_commas(2 * C) + ", head " +
                  (tied_head ? std::string("tied") : with_commas(V * C)) + "; layers " + std::to_string(layers) +
                  ", dim " + std::to_string(dim) + ", heads " + std::to_string(heads) + ", seq " +
                  std::to_string(seq) + (raster_width > 0 ? ", raster " + std::to_string(raster_width) : std::string()) +
                  (hint_width > 0 ? ", raster hints " + std::to_string(hint_width) : std::string()) +
                  ")";
  return s;
}

TransformerConfig TransformerConfig::named(const std::string& name) {
  TransformerConfig c;
  if (name == "200k") {
    c.dim = 64, c.heads = 4;
  } else if (name == "800k") {
    c.dim = 128, c.heads = 4;
  } else if (name == "3.2m") {
    c.dim = 256, c.heads = 8;
  } else {
    throw UserError("unknown transformer config '" + name + "' (try 200k, 800k or 3.2m)");
  }
  return c;
}

std::vector<std::string> TransformerConfig::names() { return {"200k", "800k", "3.2m"}; }

std::map<std::string, std::string> TransformerConfig::to_metadata() const {
  std::map<std::string, std::string> m = {{"zgen.format", "zgen-transformer-1"},
          {"zgen.vocab", std::to_string(vocab)},
          {"zgen.layers", std::to_string(layers)},
          {"zgen.dim", std::to_string(dim)},
          {"zgen.heads", std::to_string(heads)},
          {"zgen.seq", std::to_string(seq)},
          {"zgen.positions", learned_positions ? "learned" : "sinusoidal"},
          {"zgen.tied_head", tied_head ? "true" : "false"},
          {"zgen.activation", "gelu_tanh"},
          {"zgen.norm", "layernorm_pre_eps1e-5"}};
  if (raster_width > 0) m["zgen.raster_width"] = std::to_string(raster_width);
  if (hint_width > 0) m["zgen.hint_width"] = std::to_string(hint_width);
  return m;
}

TransformerConfig TransformerConfig::from_metadata(const std::map<std::string, std::string>& m) {
  const auto fmt = m.find("zgen.format");
  if (fmt == m.end()) throw UserError("not a zgen transformer checkpoint (metadata lacks 'zgen.format')");
  if (fmt->second != "zgen-transformer-1")
    throw UserError("unsupported checkpoint format '" + fmt->second.substr(0, 40) + "' (this zgen reads zgen-transformer-1)");
  TransformerConfig c;
  c.vocab = parse_int_field(m, "zgen.vocab");
  c.layers = parse_int_field(m, "zgen.layers");
  c.dim = parse_int_field(m, "zgen.dim");
  c.heads = parse_int_field(m, "zgen.heads");
  c.seq = parse_int_field(m, "zgen.seq");
  const auto pos = m.find("zgen.positions");
  if (pos == m.end()) throw UserError("checkpoint metadata lacks 'zgen.positions'");
  if (pos->second == "learned") c.learned_positions = true;
  else if (pos->second == "sinusoidal") c.learned_positions = false;
  else throw UserError("checkpoint metadata 'zgen.positions' must be learned or sinusoidal");
  c.tied_head = parse_bool_field(m, "zgen.tied_head");
  if (m.count("zgen.raster_width")) c.raster_width = parse_int_field(m, "zgen.raster_width");
  if (m.count("zgen.hint_width")) c.hint_width = parse_int_field(m, "zgen.hint_width");
  for (const char* key : {"zgen.activation", "zgen.norm"}) {
    const auto it = m.find(key);
    const std::string want = c.to_metadata().at(key);
    if (it != m.end() && it->second != want)
      throw UserError(std::string("checkpoint metadata '") + key + "' is '" + it->second.substr(0, 40) +
                      "'; this zgen implements only '" + want + "'");
  }
  c.validate();
  return c;
}

}  // namespace zgen
