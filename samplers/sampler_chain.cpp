#include "zgen/sampling.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "zgen/bytes.hpp"
#include "zgen/errors.hpp"

namespace zgen {

SamplerChain::SamplerChain(std::uint64_t seed) : pick_(make_pick(seed)) {}

void SamplerChain::add(std::unique_ptr<Sampler> sampler) { samplers_.push_back(std::move(sampler)); }

int SamplerChain::apply(CandidateSet& set) {
  set.selected = -1;
  check_candidates(set, "the predictor", false, false);
  for (const auto& sampler : samplers_) {
    sampler->apply(set);
    check_candidates(set, sampler->name(), false, false);
  }
  pick_->apply(set);
  check_candidates(set, pick_->name(), true, true);
  return set.items[static_cast<std::size_t>(set.selected)].id;
}

int SamplerChain::sample(std::span<const double, 256> log_probs) {
  CandidateSet set = candidates_from_log_probs(log_probs);
  return apply(set);
}

void SamplerChain::accept(int id) {
  for (const auto& sampler : samplers_) sampler->accept(id);
  pick_->accept(id);
}

void SamplerChain::reset() {
  for (const auto& sampler : samplers_) sampler->reset();
  pick_->reset();
}

std::string SamplerChain::describe() const {
  std::string out;
  for (const auto& sampler : samplers_) out += sampler->name() + " -> ";
  return out + pick_->name();
}

namespace {

std::string show(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

const char* const kKnown = "penalties, top-k, top-p, min-p, temperature";

std::vector<std::string> split_order(const std::string& order) {
  std::vector<std::string> names;
  std::string::size_type start = 0;
  while (true) {
    const auto comma = order.find(',', start);
    std::string name = order.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto first = name.find_first_not_of(" \t");
    const auto last = name.find_last_not_of(" \t");
    name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
    for (char& ch : name) if (ch == '_') ch = '-';
    names.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (names.size() == 1 && names[0].empty()) names.clear();  // "" = no samplers before pick
  return names;
}

bool known(const std::string& name) {
  return name == "penalties" || name == "top-k" || name == "top-p" || name == "min-p" || name == "temperature";
}

}  // namespace

void validate(const SamplerParams& p) {
  if (!std::isfinite(p.temperature) || p.temperature < 0.0)
    throw InvalidParameter("temperature", "{} must be a finite number >= 0 (got " + show(p.temperature) + ")");
  if (p.top_k < 0) throw InvalidParameter("top_k", "{} must be >= 1 (got " + std::to_string(p.top_k) + ")");
  if (!(p.top_p > 0.0 && p.top_p <= 1.0))
    throw InvalidParameter("top_p", "{} must be in (0, 1] (got " + show(p.top_p) + ")");
  if (!(p.min_p >= 0.0 && p.min_p <= 1.0))
    throw InvalidParameter("min_p", "{} must be in [0, 1] (got " + show(p.min_p) + ")");
  if (!std::isfinite(p.repeat_penalty) || p.repeat_penalty <= 0.0)
    throw InvalidParameter("repeat_penalty", "{} must be a finite number > 0 (got " + show(p.repeat_penalty) + ")");
  if (p.repeat_last_n < 0)
    throw InvalidParameter("repeat_last_n", "{} must be >= 0 (got " + std::to_string(p.repeat_last_n) + ")");

  const std::vector<std::string> names = split_order(p.order);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) throw UserError("sampler order '" + p.order + "' has an empty name");
    if (!known(names[i]))
      throw UserError("unknown sampler '" + names[i] + "' in sampler order (known: " + kKnown + ")");
    for (std::size_t j = 0; j < i; ++j)
      if (names[j] == names[i]) throw UserError("sampler '" + names[i] + "' appears twice in sampler order");
  }
  const auto listed = [&](const char* name) {
    for (const auto& n : names) if (n == name) return true;
    return false;
  };
  const auto require = [&](bool on, const char* name, const char* parameter) {
    if (on && !listed(name))
      throw InvalidParameter(parameter, std::string("{} is set but '") + name + "' is not in sampler order '" + literal(p.order) + "'");
  };
  require(p.repeat_penalty != 1.0 && p.repeat_last_n > 0, "penalties", "repeat_penalty");
  require(p.top_k > 0, "top-k", "top_k");
  require(p.top_p < 1.0, "top-p", "top_p");
  require(p.min_p > 0.0, "min-p", "min_p");
  require(p.temperature != 1.0, "temperature", "temperature");
}

SamplerChain make_chain(const SamplerParams& p, FirstByte first_byte) {
  validate(p);
  SamplerChain chain(p.seed);
  for (const std::string& name : split_order(p.order)) {
    if (name == "penalties") {
      if (p.repeat_penalty != 1.0 && p.repeat_last_n > 0)
        chain.add(make_repeat_penalty(p.repeat_penalty, p.repeat_last_n, first_byte));
    } else if (name == "top-k") {
      if (p.top_k > 0) chain.add(make_top_k(p.top_k));
    } else if (name == "top-p") {
      if (p.top_p < 1.0) chain.add(make_top_p(p.top_p));
    } else if (name == "min-p") {
      if (p.min_p > 0.0) chain.add(make_min_p(p.min_p));
    } else if (name == "temperature") {
      if (p.temperature != 1.0) chain.add(make_temperature(p.temperature));
    }
  }
  return chain;
}

}  // namespace zgen
