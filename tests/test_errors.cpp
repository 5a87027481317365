// The library's typed errors: messages name parameters by their field names and let a front end
// reword them (the CLI's flags), without touching the user's own text.
#include <doctest/doctest.h>

#include <string>

#include "src/cli/cli_common.hpp"
#include "zgen/errors.hpp"
#include "zgen/sampling.hpp"

TEST_CASE("InvalidParameter puts each front end's name where the parameter goes") {
  const zgen::InvalidParameter e("top_k", "{} must be >= 1 (got 0)");
  CHECK(std::string(e.what()) == "top_k must be >= 1 (got 0)");
  CHECK(e.parameter() == "top_k");
  CHECK(e.worded(zgen::cli::flag_for) == "--top-k must be >= 1 (got 0)");

  const zgen::InvalidParameter two("augment", "{} is for {data_kind} image-patches, not 'text'");
  CHECK(std::string(two.what()) == "augment is for data_kind image-patches, not 'text'");
  CHECK(two.worded(zgen::cli::flag_for) == "--augment is for --data-kind image-patches, not 'text'");
}

TEST_CASE("the user's text keeps its braces") {
  const std::string users = "{} {data_kind} {{";
  const zgen::InvalidParameter e("data_kind", "unknown {} '" + zgen::literal(users) + "'");
  CHECK(std::string(e.what()) == "unknown data_kind '{} {data_kind} {{'");
  CHECK(e.worded(zgen::cli::flag_for) == "unknown --data-kind '{} {data_kind} {{'");
}

TEST_CASE("any UserError can mention parameters; plain messages are never reworded") {
  const zgen::ModelMismatch e(zgen::Wording{"not found; use {model_override} SPEC or {model_dirs} DIR"});
  CHECK(std::string(e.what()) == "not found; use model_override SPEC or model_dirs DIR");
  CHECK(e.worded(zgen::cli::flag_for) == "not found; use --model SPEC or --model-dir DIR");
  const zgen::UserError plain("cannot open '{model_dirs}'");
  CHECK(plain.worded(zgen::cli::flag_for) == "cannot open '{model_dirs}'");
  const zgen::UserError longer(zgen::Wording{e.wording().text + zgen::literal(" ('{x}' was not written)")});
  CHECK(longer.worded(zgen::cli::flag_for) == "not found; use --model SPEC or --model-dir DIR ('{x}' was not written)");
}

TEST_CASE("the sampler chain's errors are InvalidParameter, naming the field") {
  zgen::SamplerParams p;
  p.top_p = 1.5;
  try {
    zgen::validate(p);
    FAIL("validate accepted top_p = 1.5");
  } catch (const zgen::InvalidParameter& e) {
    CHECK(e.parameter() == "top_p");
    CHECK(e.worded(zgen::cli::flag_for) == "--top-p must be in (0, 1] (got 1.5)");
  }
  zgen::SamplerParams q;
  q.temperature = 0.5;
  q.order = "top-k";
  CHECK_THROWS_WITH_AS(zgen::validate(q), "temperature is set but 'temperature' is not in sampler order 'top-k'",
                       zgen::InvalidParameter);
}
