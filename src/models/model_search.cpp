#include "src/models/model_search.hpp"

#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <utility>

#include "src/models/mixed_predictor.hpp"
#include "src/transformer/coding_version.hpp"
#include "zgen/errors.hpp"

namespace zgen {
namespace {

namespace fs = std::filesystem;

// The one SPEC family that names a file (make_predictor in model_registry.cpp) is transformer:PATH
// with its earlier codings' prefixes (src/transformer/coding_version.hpp). The prefix and the
// path of such a part; nullopt for any other part.
std::optional<std::pair<std::string_view, std::string>> checkpoint_part(const std::string& part) {
  for (const TransformerSpecPrefix& p : kTransformerSpecPrefixes)
    if (part.starts_with(p.prefix)) return std::pair{p.prefix, part.substr(p.prefix.size())};
  return std::nullopt;
}

std::optional<std::string> checkpoint_path(const std::string& part) {
  if (auto found = checkpoint_part(part)) return found->second;
  return std::nullopt;
}

// The prefix a candidate of a checkpoint part is loaded with: a transformer:PATH part in the
// coding the file records (coding 1, every file before half floats: transformer-fp32:PATH),
// a part that names an earlier coding's prefix in that one.
std::string_view candidate_prefix(std::string_view prefix, std::uint8_t coding) {
  if (prefix != transformer_spec_prefix(kNewestTransformerCoding)) return prefix;
  return transformer_spec_prefix(static_cast<TransformerCoding>(coding));
}

bool is_mix(const std::string& spec) { return spec.rfind("mix:", 0) == 0; }

// A mix's parts, or the SPEC itself. UserError for a malformed mix.
std::vector<std::string> parts_of(const std::string& spec) {
  return is_mix(spec) ? mix_part_specs(spec) : std::vector<std::string>{spec};
}

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// One way to load one part of the model: its SPEC, loaded on first need.
struct Candidate {
  Candidate(std::string spec_, std::string path_) : spec(std::move(spec_)), path(std::move(path_)) {}
  std::string spec;
  std::string path;  // the checkpoint file tried; "" for a part without one
  std::unique_ptr<Predictor> model;
  std::string label;  // what the file's hash covers of this part: identity(), or in version 1 the stored name
  std::uint64_t parameters_hash = 0;
  std::string failure;  // why it cannot be used ("" while it may)
  bool tried = false;
};

// Loads a candidate once. False, with its failure noted, when it cannot be used.
bool load(Candidate& c, const PredictorFactory& make, const std::string& stored_part, std::uint8_t version) {
  if (c.tried) return c.failure.empty();
  c.tried = true;
  std::error_code ec;
  if (!c.path.empty() && !fs::exists(c.path, ec)) {
    c.failure = "no such file";
    return false;
  }
  try {
    c.model = make(c.spec);
  } catch (const UserError& e) {
    c.failure = std::string("cannot load: ") + e.what();
    return false;
  }
  if (!c.model) {
    c.failure = "cannot load";
    return false;
  }
  if (version >= 2) {
    c.label = c.model->identity();
  } else {
    // Version 1 hashed a checkpoint under its path as stored (its name then): the same label
    // for a checkpoint found elsewhere, so that it is recognised by its content.
    c.label = !c.path.empty() && checkpoint_path(stored_part) ? stored_part : c.model->name();
  }
  c.parameters_hash = c.model->parameters_hash();
  return true;
}

// The ways to load one part, in the order of model_search.hpp. A part without a checkpoint
// has one (itself).
std::vector<Candidate> candidates_for(const std::string& part, const std::string& file_dir,
                                      const std::vector<std::string>& model_dirs, std::uint8_t coding) {
  std::vector<Candidate> out;
  const auto checkpoint = checkpoint_part(part);
  if (!checkpoint || checkpoint->second.empty()) {
    out.emplace_back(part, "");
    return out;
  }
  const std::string_view prefix = candidate_prefix(checkpoint->first, coding);
  const std::string& path = checkpoint->second;
  std::set<std::string> seen;  // each file once, however it is reached
  auto add = [&](const fs::path& p) {
    std::error_code ec;
    fs::path key = fs::absolute(p, ec);
    if (ec) key = p;
    if (!seen.insert(key.lexically_normal().string()).second) return;
    out.emplace_back(std::string(prefix) + p.string(), p.string());
  };
  const fs::path stored(path);
  add(stored);
  if (stored.is_relative() && !file_dir.empty()) add(fs::path(file_dir) / stored);
  if (stored.has_filename())
    for (const std::string& dir : model_dirs)
      if (!dir.empty()) add(fs::path(dir) / stored.filename());
  return out;
}

// A combination whose hash has to match: the part candidates chosen so far.
class Search {
 public:
  Search(const ContainerHeader& header, const PredictorFactory& make, std::vector<std::string> stored_parts,
         std::vector<std::vector<Candidate>> candidates, bool mix)
      : header_(header),
        make_(make),
        stored_parts_(std::move(stored_parts)),
        candidates_(std::move(candidates)),
        mix_(mix),
        chosen_(candidates_.size(), 0) {}

  // Depth-first over the parts, each candidate loaded when first reached; true with chosen_
  // set at the first combination whose hash is the file's.
  bool run(std::size_t k = 0) {
    if (k == candidates_.size()) return hash_of_chosen() == header_.parameters_hash;
    for (std::size_t i = 0; i < candidates_[k].size(); ++i) {
      const std::string& stored_part = k < stored_parts_.size() ? stored_parts_[k] : std::string();
      if (!load(candidates_[k][i], make_, stored_part, header_.version)) continue;
      if (++combinations_ > kMaxCombinations)
        throw UserError("model " + header_.model_spec + ": too many candidate checkpoints to try");
      chosen_[k] = i;
      if (run(k + 1)) return true;
    }
    return false;
  }

  // The SPEC and the model of the combination found by run().
  FoundModel take() {
    std::vector<std::string> specs;
    std::vector<std::unique_ptr<Predictor>> parts;
    for (std::size_t k = 0; k < candidates_.size(); ++k) {
      Candidate& c = candidates_[k][chosen_[k]];
      specs.push_back(c.spec);
      parts.push_back(std::move(c.model));
    }
    if (!mix_) return {specs[0], std::move(parts[0])};
    return {mix_spec(specs), std::make_unique<MixedPredictor>(std::move(parts))};
  }

  std::vector<std::vector<Candidate>>& candidates() { return candidates_; }

 private:
  // Mirrors model_hash(identity() or name(), parameters_hash()) of the assembled model
  // (MixedPredictor: mix_spec of the labels, mix_parameters_hash of the parts'), so that a
  // combination is checked without being assembled; find_model checks the result once more.
  std::uint64_t hash_of_chosen() const {
    std::vector<std::string> labels;
    std::vector<std::uint64_t> hashes;
    for (std::size_t k = 0; k < candidates_.size(); ++k) {
      const Candidate& c = candidates_[k][chosen_[k]];
      labels.push_back(c.label);
      hashes.push_back(c.parameters_hash);
    }
    if (!mix_) return model_hash(labels[0], hashes[0]);
    return model_hash(mix_spec(labels), mix_parameters_hash(hashes));
  }

  static constexpr std::uint64_t kMaxCombinations = std::uint64_t{1} << 20;
  const ContainerHeader& header_;
  const PredictorFactory& make_;
  std::vector<std::string> stored_parts_;
  std::vector<std::vector<Candidate>> candidates_;
  bool mix_;
  std::vector<std::size_t> chosen_;
  std::uint64_t combinations_ = 0;
};

// The failure of a part that has one candidate and no checkpoint (or of an override): the
// whole SPEC cannot be loaded.
void require_loaded(Candidate& c, const PredictorFactory& make, const std::string& stored_part, std::uint8_t version,
                    const std::string& spec, const char* origin) {
  if (load(c, make, stored_part, version)) return;
  std::string why = c.failure.rfind("cannot load: ", 0) == 0 ? c.failure.substr(13) : c.failure;
  if (why == "no such file") why = "cannot open '" + c.path + "': no such file";
  throw UserError(Wording{"cannot load the model '" + literal(spec) + "' " + origin + ": " + literal(why)});
}

}  // namespace

std::vector<std::string> split_model_path(std::string_view colon_separated) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= colon_separated.size()) {
    const std::size_t colon = std::min(colon_separated.find(':', start), colon_separated.size());
    if (colon > start) out.emplace_back(colon_separated.substr(start, colon - start));
    start = colon + 1;
  }
  return out;
}

FoundModel find_model(const ContainerHeader& header, const DecompressOptions& options, const PredictorFactory& make) {
  const bool override_given = !options.model_override.empty();
  const std::string& spec = override_given ? options.model_override : header.model_spec;
  const char* origin = override_given ? "given by {model_override}" : "named in the file";  // a Wording
  std::vector<std::string> parts, stored_parts;
  try {
    parts = parts_of(spec);
  } catch (const UserError& e) {
    throw UserError(Wording{"cannot load the model '" + literal(spec) + "' " + origin + ": " + e.wording().text});
  }
  try {
    stored_parts = parts_of(header.model_spec);
  } catch (const UserError&) {
    // Only an override gets here; the stored parts only label a version-1 file's checkpoints.
  }
  // A version-1 file labels a checkpoint part by its stored SPEC only where the stored model
  // has a checkpoint part at the same place.
  if (parts.size() != stored_parts.size()) stored_parts.clear();

  std::vector<std::vector<Candidate>> candidates;
  bool has_checkpoint = false;  // some part names a file: a search, and its own error
  for (const std::string& part : parts) {
    // An override is taken as given: no other place.
    candidates.push_back(override_given ? candidates_for(part, "", {}, header.transformer_coding)
                                        : candidates_for(part, options.file_dir, options.model_dirs,
                                                         header.transformer_coding));
    has_checkpoint = has_checkpoint || !candidates.back()[0].path.empty();
  }
  Search search(header, make, stored_parts, std::move(candidates), is_mix(spec));
  // Parts without a checkpoint, and every part of an override, must load.
  for (std::size_t k = 0; k < parts.size(); ++k) {
    Candidate& first = search.candidates()[k][0];
    if (override_given || first.path.empty())
      require_loaded(first, make, k < stored_parts.size() ? stored_parts[k] : std::string(), header.version, spec, origin);
  }

  if (!search.run()) {
    if (override_given)
      throw ModelMismatch("model mismatch: the file was compressed with '" + header.model_spec + "', and '" + spec +
                      "' is a different model, or the same one computed with other float arithmetic (content hash differs)");
    if (!has_checkpoint)
      throw ModelMismatch("model mismatch: this zgen's '" + spec +
                      "' is not the model the file was compressed with (other parameters, or other float arithmetic: "
                      "the content hash differs)");
    // Every candidate of every checkpoint part, with its reason. The search reaches a part only
    // when each part before it has a usable candidate; the others are only looked for.
    std::string tried;
    for (const auto& part : search.candidates())
      for (const Candidate& c : part) {
        if (c.path.empty()) continue;
        std::error_code ec;
        const std::string why = c.tried ? (c.failure.empty() ? "other weights or float arithmetic" : c.failure)
                                : fs::exists(c.path, ec) ? "not tried: another checkpoint of the mix is missing"
                                                         : "no such file";
        tried += (tried.empty() ? "" : ", ") + c.path + " (" + why + ")";
      }
    throw ModelMismatch(Wording{"model " + literal(header.model_spec) + " (content " + hex(header.parameters_hash) +
                                ") not found: tried " + literal(tried) +
                                "; use {model_override} SPEC, {model_dirs} DIR or ZGEN_MODEL_PATH"});
  }
  FoundModel found = search.take();
  if (header.version >= 2 && model_identity_hash(*found.predictor) != header.parameters_hash)
    throw std::logic_error("find_model: the assembled model's hash differs from its parts' (" + found.spec + ")");
  return found;
}

}  // namespace zgen
