// A .zgen file names its model by content, not by path: a moved checkpoint is found (through
// --model, the file's directory, --model-dir, ZGEN_MODEL_PATH) and decodes byte for byte; a
// different checkpoint under the same name is refused with one line saying what was tried.
// Version-1 files (written before) still decode.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "src/coding/container.hpp"
#include "src/models/model_search.hpp"
#include "tests/cli_runner.hpp"
#include "tests/fixtures.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"

using namespace zgen;
using zgen::test::count_lines;
using zgen::test::make_single_threaded;
using zgen::test::read_fixture;
using zgen::test::run_zgen;
using zgen::test::slurp;
using zgen::test::user_error_of;

namespace {

namespace fs = std::filesystem;

// Two tiny checkpoints with different weights (tests/data/README.md): fast real transformers.
const fs::path kTwinA = fs::path(ZGEN_TEST_DATA) / "twin-sinusoidal-untied.safetensors";
const fs::path kTwinB = fs::path(ZGEN_TEST_DATA) / "twin-learned-tied.safetensors";

// A scratch directory with subdirectories a (where files are compressed), b (where they are
// decompressed), c and e (where checkpoints move to), d (checkpoints of other content under the
// same names); removed at the end.
struct Scratch {
  fs::path root;
  Scratch() : root(fs::temp_directory_path() / ("zgen-model-search-" + std::to_string(::getpid()))) {
    fs::remove_all(root);
    for (const char* d : {"a/models", "b", "c", "d", "e"}) fs::create_directories(root / d);
  }
  ~Scratch() { fs::remove_all(root); }
  fs::path operator/(const std::string& p) const { return root / p; }
};

// Runs the test from `dir` (relative SPEC paths are read from the current directory) and
// returns to where it was.
struct InDirectory {
  fs::path previous = fs::current_path();
  explicit InDirectory(const fs::path& dir) { fs::current_path(dir); }
  ~InDirectory() { fs::current_path(previous); }
};

Bytes text(std::size_t n) {
  Bytes t = read_fixture("sotu-valid-30k.txt");
  t.resize(n);
  return t;
}

Bytes compress(const std::string& spec, ByteView data, std::uint64_t chunk = 128) {
  return compress_to_container(*make_single_threaded(spec), spec, data, chunk).file;
}

Bytes decompress(ByteView file, const DecompressOptions& options = {}) {
  return decompress_container(file, make_single_threaded, options);
}

std::string spec_of(ByteView file, const DecompressOptions& options) {
  return find_model(parse_container(file).header, options, make_single_threaded).spec;
}

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

TEST_CASE("a model's identity hash leaves the checkpoint's path out; its content counts") {
  Scratch s;
  fs::copy_file(kTwinA, s / "a/x.safetensors");
  fs::copy_file(kTwinA, s / "c/x.safetensors");
  fs::copy_file(kTwinB, s / "d/x.safetensors");
  const auto here = make_single_threaded("transformer:" + (s / "a/x.safetensors").string());
  const auto moved = make_single_threaded("transformer:" + (s / "c/x.safetensors").string());
  const auto other = make_single_threaded("transformer:" + (s / "d/x.safetensors").string());
  CHECK(here->identity() == "transformer");
  CHECK(model_identity_hash(*here) == model_identity_hash(*moved));
  CHECK(model_identity_hash(*here) != model_identity_hash(*other));
  CHECK(model_parameters_hash(*here) != model_parameters_hash(*moved));  // version 1's hash: the path counted

  // Inside a mix too, and the parts' order still counts.
  const std::string a = "transformer:" + (s / "a/x.safetensors").string(), c = "transformer:" + (s / "c/x.safetensors").string();
  const auto mix_here = make_single_threaded("mix:" + a + "+gzip:1");
  CHECK(mix_here->identity() == "mix:transformer+gzip:1");
  CHECK(model_identity_hash(*mix_here) == model_identity_hash(*make_single_threaded("mix:" + c + "+gzip:1")));
  CHECK(model_identity_hash(*mix_here) != model_identity_hash(*make_single_threaded("mix:gzip:1+" + c)));
  CHECK(model_identity_hash(*mix_here) !=
        model_identity_hash(*make_single_threaded("mix:transformer:" + (s / "d/x.safetensors").string() + "+gzip:1")));

  // A model without a checkpoint: its canonical name, the same hash in both versions.
  const auto gz = make_single_threaded("gzip");
  CHECK(gz->identity() == gz->name());
  CHECK(model_identity_hash(*gz) == model_parameters_hash(*gz));
  CHECK(model_identity_hash(*gz) != model_identity_hash(*make_single_threaded("gzip:8")));
}

TEST_CASE("version-1 files, written before a model was named by content, still decode") {
  const Bytes original = text(300);
  for (const char* name : {"v1-ppm2-sotu300.zgen", "v1-gzip6-sotu300.zgen"}) {
    CAPTURE(name);
    const Bytes file = read_fixture(name);
    CHECK(parse_container(file).header.version == 1);
    CHECK(decompress(file) == original);
  }
  // The in-memory compress writes version 2 (the whole-buffer layout); zgen compress writes the
  // stream layout, version 3 (tests/test_streaming.cpp).
  CHECK(parse_container(compress("gzip:1", original)).header.version == kWholeContainerVersion);
  CHECK(kWholeContainerVersion == 2);
  CHECK(kContainerVersion == 3);
}

TEST_CASE("find_model: the stored path, the file's directory, then each model directory; content decides") {
  Scratch s;
  fs::copy_file(kTwinA, s / "a/models/x.safetensors");
  const Bytes original = text(400);
  Bytes file;
  {
    InDirectory in(s / "a");
    file = compress("transformer:models/x.safetensors", original);  // a relative path is stored
  }
  const std::uint64_t hash = parse_container(file).header.parameters_hash;
  InDirectory in(s / "b");
  DecompressOptions options;

  // From another directory, the relative path is resolved against the file's directory.
  CHECK_THROWS_AS(decompress(file), UserError);
  options.file_dir = (s / "a").string();
  CHECK(decompress(file, options) == original);
  CHECK(spec_of(file, options) == "transformer:" + (s / "a/models/x.safetensors").string());

  // Moved: not found, with one line that says what was tried and why.
  fs::rename(s / "a/models/x.safetensors", s / "c/x.safetensors");
  fs::copy_file(kTwinB, s / "d/x.safetensors");  // another model under the same name
  options.model_dirs = {(s / "d").string()};
  const std::string error = user_error_of([&] { decompress(file, options); });
  CAPTURE(error);
  CHECK(error.find('\n') == std::string::npos);
  CHECK(error.find("model transformer:models/x.safetensors (content " + hex(hash) + ") not found: tried ") == 0);
  CHECK(error.find("models/x.safetensors (no such file), " + (s / "a/models/x.safetensors").string() +
                   " (no such file), " + (s / "d/x.safetensors").string() + " (other weights or float arithmetic)") !=
        std::string::npos);
  // The library names its parameters (the CLI words them as --model and --model-dir: test_errors).
  CHECK(error.find("use model_override SPEC, model_dirs DIR or ZGEN_MODEL_PATH") != std::string::npos);

  // The first directory whose file has the same content wins; the other model is skipped.
  options.model_dirs = {(s / "d").string(), "", (s / "missing").string(), (s / "c").string()};
  CHECK(decompress(file, options) == original);
  CHECK(spec_of(file, options) == "transformer:" + (s / "c/x.safetensors").string());

  // --model: the only candidate; same content at any path is fine, other content is refused.
  DecompressOptions by_model;
  by_model.model_override = "transformer:../c/x.safetensors";
  CHECK(decompress(file, by_model) == original);
  by_model.model_override = "transformer:" + (s / "d/x.safetensors").string();
  by_model.model_dirs = {(s / "c").string()};  // not looked at: --model replaces the search
  CHECK(user_error_of([&] { decompress(file, by_model); }).find("model mismatch") == 0);
  by_model.model_override = "transformer:" + (s / "a/models/x.safetensors").string();
  CHECK(user_error_of([&] { decompress(file, by_model); }).find("cannot load the model 'transformer:") == 0);

  // A file that is not a checkpoint: skipped with its reason.
  { std::ofstream(s / "e/x.safetensors") << "junk"; }
  options.model_dirs = {(s / "e").string()};
  CHECK(user_error_of([&] { decompress(file, options); }).find((s / "e/x.safetensors").string() + " (cannot load: ") !=
        std::string::npos);

  // An absolute stored path is searched by its file name the same way.
  const Bytes absolute = compress("transformer:" + (s / "c/x.safetensors").string(), original);
  fs::rename(s / "c/x.safetensors", s / "e/x.safetensors");
  options.model_dirs = {(s / "e").string()};
  CHECK(decompress(absolute, options) == original);
}

TEST_CASE("find_model: each moved checkpoint of a mix, the combination decided by the whole model's content") {
  Scratch s;
  fs::copy_file(kTwinA, s / "a/models/x.safetensors");
  fs::copy_file(kTwinB, s / "a/models/y.safetensors");
  const Bytes original = text(300);
  const std::string spec = "mix:transformer:models/x.safetensors+gzip:1+transformer:models/y.safetensors";
  Bytes file;
  {
    InDirectory in(s / "a");
    file = compress(spec, original, 0);
    CHECK(decompress(file) == original);  // at the stored paths
  }
  // Each part moved elsewhere; d holds both names with their contents swapped.
  fs::rename(s / "a/models/x.safetensors", s / "c/x.safetensors");
  fs::rename(s / "a/models/y.safetensors", s / "e/y.safetensors");
  fs::copy_file(kTwinB, s / "d/x.safetensors");
  fs::copy_file(kTwinA, s / "d/y.safetensors");
  InDirectory in(s / "b");
  DecompressOptions options;
  options.file_dir = (s / "a").string();
  const std::string error = user_error_of([&] { decompress(file, options); });
  CHECK(error.find("model " + spec + " (content ") == 0);
  CHECK(error.find((s / "a/models/y.safetensors").string() + " (no such file)") != std::string::npos);
  // y alone is found: it is not tried without an x (and the line says so).
  options.model_dirs = {(s / "e").string()};
  CHECK(user_error_of([&] { decompress(file, options); }).find((s / "e/y.safetensors").string() +
                                                                " (not tried: another checkpoint of the mix is missing)") !=
        std::string::npos);

  options.model_dirs = {(s / "d").string(), (s / "c").string(), (s / "e").string()};
  CHECK(decompress(file, options) == original);
  CHECK(spec_of(file, options) == "mix:transformer:" + (s / "c/x.safetensors").string() + "+gzip:1+transformer:" +
                                      (s / "e/y.safetensors").string());
  // Only the swapped pair: every combination loads, none is the model.
  options.model_dirs = {(s / "d").string()};
  CHECK(user_error_of([&] { decompress(file, options); }).find((s / "d/y.safetensors").string() +
                                                                " (other weights or float arithmetic)") !=
        std::string::npos);
  // --model with the whole mix at its new paths.
  DecompressOptions by_model;
  by_model.model_override =
      "mix:transformer:" + (s / "c/x.safetensors").string() + "+gzip:1+transformer:../e/y.safetensors";
  CHECK(decompress(file, by_model) == original);
}

TEST_CASE("a version-1 transformer file is found by content as well") {
  Scratch s;
  fs::copy_file(kTwinA, s / "a/models/x.safetensors");
  const Bytes original = text(200);
  const std::string spec = "transformer:models/x.safetensors";
  Bytes v1;
  {
    InDirectory in(s / "a");
    // What the code before version 2 wrote: the hash of the name, path included.
    const Bytes v2 = compress(spec, original);
    ParsedContainer parsed = parse_container(v2);
    parsed.header.version = 1;
    parsed.header.parameters_hash = model_parameters_hash(*make_single_threaded(spec));
    v1 = write_container(parsed.header, parsed.payload);
    CHECK(decompress(v1) == original);  // where it was made
  }
  fs::rename(s / "a/models/x.safetensors", s / "c/x.safetensors");
  fs::copy_file(kTwinB, s / "d/x.safetensors");
  InDirectory in(s / "b");
  DecompressOptions options;
  options.model_dirs = {(s / "d").string(), (s / "c").string()};
  CHECK(decompress(v1, options) == original);
  options.model_dirs = {(s / "d").string()};
  CHECK(user_error_of([&] { decompress(v1, options); }).find("other weights") != std::string::npos);
  DecompressOptions by_model;
  by_model.model_override = "transformer:../c/x.safetensors";
  CHECK(decompress(v1, by_model) == original);
}

TEST_CASE("split_model_path: colon-separated, empty entries skipped") {
  CHECK(split_model_path("").empty());
  CHECK(split_model_path("::").empty());
  CHECK(split_model_path("/a") == std::vector<std::string>{"/a"});
  CHECK(split_model_path("/a::b/c:") == std::vector<std::string>{"/a", "b/c"});
}

TEST_CASE("zgen decompress finds a moved checkpoint: the file's directory, --model, --model-dir, ZGEN_MODEL_PATH") {
  Scratch s;
  fs::copy_file(kTwinA, s / "a/models/twin.safetensors");
  const std::string original = slurp(std::string(ZGEN_TEST_DATA) + "/sotu-valid-30k.txt").substr(0, 300);
  { std::ofstream(s / "a/in.txt", std::ios::binary) << original; }
  {
    InDirectory in(s / "a");
    REQUIRE(run_zgen("compress -q -j 1 --model transformer:models/twin.safetensors -o x.zgen in.txt").exit_code == 0);
    REQUIRE(run_zgen("compress -q -j 1 --model mix:transformer:models/twin.safetensors+gzip:1 -o m.zgen in.txt")
                .exit_code == 0);
  }
  InDirectory in(s / "b");
  // Another directory: the stored relative path is found from the file's directory.
  auto o = run_zgen("decompress -q -j 1 ../a/x.zgen");
  CHECK(o.exit_code == 0);
  CHECK(o.out == original);

  fs::rename(s / "a/models/twin.safetensors", s / "c/twin.safetensors");
  fs::copy_file(kTwinB, s / "d/twin.safetensors");  // another checkpoint of the same name
  o = run_zgen("decompress -q -j 1 ../a/x.zgen");
  CHECK(o.exit_code == 2);
  CHECK(count_lines(o.err) == 1);
  CHECK(o.err.find("zgen: model transformer:models/twin.safetensors (content ") == 0);
  CHECK(o.err.find("not found: tried models/twin.safetensors (no such file), ../a/models/twin.safetensors (no such file); "
                   "use --model SPEC, --model-dir DIR or ZGEN_MODEL_PATH (nothing was written to standard output)\n") !=
        std::string::npos);
  CHECK(o.out.empty());

  o = run_zgen("decompress -q -j 1 --model transformer:../c/twin.safetensors ../a/x.zgen");
  CHECK(o.exit_code == 0);
  CHECK(o.out == original);
  o = run_zgen("decompress -q -j 1 --model-dir ../d --model-dir ../c ../a/x.zgen -o out.txt");
  CHECK(o.exit_code == 0);
  CHECK(slurp((s / "b/out.txt").string()) == original);

  ::setenv("ZGEN_MODEL_PATH", ("/nonexistent::" + (s / "c").string()).c_str(), 1);
  o = run_zgen("decompress -q -j 1 ../a/x.zgen");
  CHECK(o.exit_code == 0);
  CHECK(o.out == original);
  ::setenv("ZGEN_MODEL_PATH", (s / "d").string().c_str(), 1);
  // The same name with other weights: refused, and the line says so.
  o = run_zgen("decompress -q -j 1 ../a/x.zgen -o refused.txt");
  ::unsetenv("ZGEN_MODEL_PATH");
  CHECK(o.exit_code == 2);
  CHECK(count_lines(o.err) == 1);
  CHECK(o.err.find((s / "d/twin.safetensors").string() + " (other weights or float arithmetic)") != std::string::npos);
  CHECK(o.err.find("'refused.txt' was not written") != std::string::npos);
  CHECK(!fs::exists(s / "b/refused.txt"));
  o = run_zgen("decompress -q -j 1 --model transformer:../d/twin.safetensors ../a/x.zgen");
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("zgen: model mismatch") == 0);

  // A mix with a moved transformer part: refused, then found.
  o = run_zgen("decompress -q -j 1 ../a/m.zgen");
  CHECK(o.exit_code == 2);
  CHECK(count_lines(o.err) == 1);
  CHECK(o.err.find("zgen: model mix:transformer:models/twin.safetensors+gzip:1 (content ") == 0);
  o = run_zgen("decompress -q -j 1 --model-dir ../d --model-dir ../c ../a/m.zgen");
  CHECK(o.exit_code == 0);
  CHECK(o.out == original);

  o = run_zgen("decompress --help");
  CHECK(o.out.find("ZGEN_MODEL_PATH") != std::string::npos);
  CHECK(o.out.find("--model-dir") != std::string::npos);
}
