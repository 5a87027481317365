// The gzip fast path's guard (compressors/gzip_guard.hpp): its self-check passes with the zlib
// that is linked, catches a model that makes other choices, and a failed check makes begin()
// recompress, exactly, after one warning line on stderr.
#include <doctest/doctest.h>
#include <unistd.h>
#include <zlib.h>

#include "tests/fixtures.hpp"

#include <cstdio>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "compressors/families.hpp"
#include "compressors/gzip_guard.hpp"

using namespace zgen;

namespace {

const Bytes& text() {
  static const Bytes all = zgen::test::read_fixture("sotu-valid-30k.txt");
  return all;
}

// Which implementation a state is: the deflate model's or the recompressing one.
const std::type_info& kind(const CodeLengthState& state) { return typeid(state); }

Bytes concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// What the process writes on file descriptor 2 while it lives (the real stderr, redirected).
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()) {
    REQUIRE(file_ != nullptr);
    std::fflush(stderr);
    saved_ = dup(2);
    REQUIRE(dup2(fileno(file_), 2) == 2);
  }
  ~StderrCapture() { restore(); }
  std::string finish() {
    restore();
    std::string out;
    std::rewind(file_);
    for (int c; (c = std::fgetc(file_)) != EOF;) out += static_cast<char>(c);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_ = -1;
};

// Puts the process's verdict back to the real check when a test ends, however it ends.
struct RealCheckAfterwards {
  ~RealCheckAfterwards() { reset_gzip_guard_for_testing(false); }
};

}  // namespace

TEST_CASE("the fast path matches the linked zlib") {
  INFO("linked zlib " << zlibVersion());
  const GzipSelfCheck check = check_gzip_fast_path();
  INFO("level " << check.level << ", " << check.input << ": model " << check.model_bits << " bits, zlib "
                << check.zlib_bits);
  CHECK(check.matches);
  // The process's verdict, taken afresh: it matches, and nothing is printed.
  reset_gzip_guard_for_testing(false);
  StderrCapture capture;
  CHECK(gzip_fast_path_verified());
  CHECK(capture.finish().empty());
  // The verdict is taken: begin() gives the model, not the recompressing state.
  const auto gz = make_gzip(9);
  CHECK(kind(*gz->begin(text())) == kind(*gzip_model_state(9, {})));
}

TEST_CASE("the check catches a model that makes other choices") {
  // The model at a neighbouring level parses differently; the built-in inputs must show it.
  const GzipSelfCheck check = check_gzip_fast_path(true);
  CHECK_FALSE(check.matches);
  CHECK(check.level >= 1);
  CHECK(check.model_bits != check.zlib_bits);
  CHECK_FALSE(check.input.empty());
}

TEST_CASE("a failed check recompresses, exactly, after one warning") {
  RealCheckAfterwards restore;
  StderrCapture capture;
  reset_gzip_guard_for_testing(true);
  // Several threads ask at once; one runs the check, one warning is printed.
  std::vector<std::thread> threads;
  for (const int level : {1, 4, 6, 9})
    threads.emplace_back([level] { make_gzip(level)->begin(as_bytes("warm up")); });
  for (auto& t : threads) t.join();
  CHECK_FALSE(gzip_fast_path_verified());

  for (const int level : {1, 6, 9}) {
    INFO("level " << level);
    const auto gz = make_gzip(level);
    Bytes context(text().begin(), text().begin() + 20000);
    auto state = gz->begin(context);
    CHECK(kind(*state) == kind(*recompressing_state(*gz, {})));
    CHECK(state->context_bits() == gz->code_length_bits(context));
    for (const std::size_t len : {1u, 2u, 300u, 5000u}) {
      const ByteView x(text().data() + 24000, len);
      CHECK(state->bits_with(x) == gz->code_length_bits(concat(context, x)));
    }
    // Sampling's steps: commit a byte, cost the next one.
    for (std::size_t at = 20000; at < 20003; ++at) {
      state->append(ByteView(&text()[at], 1));
      context.push_back(text()[at]);
      const ByteView x(&text()[at + 1], 1);
      CHECK(state->bits_with(x) == gz->code_length_bits(concat(context, x)));
    }
    CHECK(state->clone()->bits_with({}) == gz->code_length_bits(context));
  }
  CHECK(capture.finish() == gzip_guard_warning() + "\n");
}

TEST_CASE("the warning names both zlib versions on one line") {
  const std::string warning = gzip_guard_warning();
  CHECK(warning.rfind("zgen: warning: the linked zlib ", 0) == 0);
  CHECK(warning.find(zlibVersion()) != std::string::npos);
  CHECK(warning.find("zlib 1.2.13 that the gzip fast path reproduces") != std::string::npos);
  CHECK(warning.find('\n') == std::string::npos);
}
