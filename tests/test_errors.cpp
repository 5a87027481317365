// The library's typed errors: InvalidParameter names a parameter by its field name and lets a
// front end reword it (the CLI's flags), without touching the user's own text.
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
  const zgen::InvalidParameter e("data_kind", "unknown {} '" + zgen::InvalidParameter::literal(users) + "'");
  CHECK(std::string(e.what()) == "unknown data_kind '{} {data_kind} {{'");
  CHECK(e.worded(zgen::cli::flag_for) == "unknown --data-kind '{} {data_kind} {{'");
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
