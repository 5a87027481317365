#include "src/cli/generators.hpp"

#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/cli/method_options.hpp"
#include "zgen/errors.hpp"

namespace zgen::cli {

Generator parse_generator(const std::string& option, const std::string& text, int threads) {
  const std::vector<std::string> words = po::split_unix(text);
  if (words.empty() || words.front().empty() || words.front()[0] == '-')
    throw UserError("--" + option + " must start with a model SPEC, got '" + text + "'");
  Generator g;
  g.spec = words.front();
  for (const auto& w : words) g.label += (g.label.empty() ? "" : " ") + w;
  long long top_k = 0, repeat_last_n = 64, horizon = 1, beam = 8, max_context = 0;
  po::options_description options;
  options.add_options()
      ("temperature,t", po::value(&g.params.temperature)->default_value(1.0))
      ("top-k", po::value(&top_k))
      ("top-p", po::value(&g.params.top_p)->default_value(1.0))
      ("min-p", po::value(&g.params.min_p)->default_value(0.0))
      ("repeat-penalty", po::value(&g.params.repeat_penalty)->default_value(1.0))
      ("repeat-last-n", po::value(&repeat_last_n)->default_value(64))
      ("samplers", po::value(&g.params.order)->default_value(SamplerParams{}.order))
      ("horizon", po::value(&horizon)->default_value(1))
      ("beam", po::value(&beam)->default_value(8))
      ("alphabet", po::value(&g.model.alphabet)->default_value("context"))
      ("max-context", po::value(&max_context)->default_value(0));
  MethodFlags method;
  add_method_options(options, method);
  try {
    po::variables_map vm;
    const std::vector<std::string> rest(words.begin() + 1, words.end());
    po::store(po::command_line_parser(rest).options(options).run(), vm);
    po::notify(vm);
    require_finite("temperature", g.params.temperature);
    if (g.params.temperature < 0) throw UserError("--temperature must be at least 0 (0 is greedy)");
    if (vm.count("top-k")) require_at_least("top-k", top_k, 1);
    require_at_least("repeat-last-n", repeat_last_n, 0);
    require_at_least("horizon", horizon, 1);
    require_at_least("beam", beam, 1);
    require_at_least("max-context", max_context, 0);
    g.params.top_k = static_cast<int>(top_k);
    g.params.repeat_last_n = static_cast<int>(repeat_last_n);
    validate(g.params);
    apply_method_options(method, vm, horizon, g.generation);
    make_predictor(g.spec, PredictorOptions{});  // a bad SPEC fails before any work
  } catch (const po::error& e) {
    throw UserError("--" + option + " '" + text + "': " + e.what());
  } catch (const UserError& e) {
    throw UserError(Wording{literal("--" + option + " '" + text + "': ") + e.wording().text});
  }
  g.horizon = static_cast<int>(horizon);
  g.beam = static_cast<int>(beam);
  g.model.threads = threads;
  g.model.max_context = static_cast<std::size_t>(max_context);
  return g;
}

Bytes sample_with(const Generator& g, Predictor& model, ByteView context, std::size_t length, std::uint64_t seed,
                  const std::function<void(std::size_t)>& on_piece) {
  SamplerParams params = g.params;
  params.seed = seed;
  GenerationOptions options = g.generation;
  options.length = length;
  options.horizon = g.horizon;
  options.beam = g.beam;
  SamplerChain chain = make_generation_chain(params, options);
  return generate_after(model, chain, context, options, [&](ByteView piece) {
    if (on_piece) on_piece(piece.size());
  });
}

}  // namespace zgen::cli
