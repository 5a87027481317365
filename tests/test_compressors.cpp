// Every compressor family: lossless round trips, code lengths (byte-granular ones equal 8·bytes,
// bzip2's equals a bit-level parse of its stream), bad input rejected with UserError, the
// code-length state equal to compressing c·x from scratch, and the cmd: family's failures,
// timeouts and threads.
#include <doctest/doctest.h>

#include "tests/fixtures.hpp"
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "compressors/families.hpp"
#include "zgen/errors.hpp"
#include "zgen/compressor.hpp"

using namespace zgen;

namespace {

// 20 kB of real prose: enough for every compressor to find structure, small enough to be quick.
Bytes text_fixture() {
  Bytes all = zgen::test::read_fixture("sotu-valid-70k.txt");
  REQUIRE(all.size() >= 20000);
  all.resize(20000);
  return all;
}

Bytes random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng() >> 24);
  return b;
}

Bytes concat(ByteView a, ByteView b) {
  Bytes r(a.begin(), a.end());
  r.insert(r.end(), b.begin(), b.end());
  return r;
}

struct Sample {
  std::string what;
  Bytes data;
};

std::vector<Sample> samples() {
  Bytes all256(256);
  for (int i = 0; i < 256; ++i) all256[i] = static_cast<uint8_t>(i);
  return {{"empty", {}},
          {"one byte", {0x41}},
          {"all 256 byte values", all256},
          {"long run", Bytes(200000, 'a')},
          {"random bytes", random_bytes(5000, 1)},
          {"real text", text_fixture()}};
}

const std::vector<std::string> kLibrarySpecs = {"gzip:9",  "gzip:1",   "zstd:19", "zstd:1", "xz:9",     "xz:0",
                                                "bzip2:9", "bzip2:1", "brotli:11", "brotli:0", "brotli:5"};

using zgen::test::user_error_of;

}  // namespace

TEST_CASE("library families: lossless round trips, and ℓ = 8·bytes where the format is byte-granular") {
  for (const auto& spec : kLibrarySpecs) {
    auto c = make_compressor(spec);
    for (const auto& s : samples()) {
      CAPTURE(spec);
      CAPTURE(s.what);
      const Bytes z = c->compress(s.data);
      CHECK(c->decompress(z) == s.data);
      const double bits = c->code_length_bits(s.data);
      if (c->bit_exact()) {
        CHECK(bits <= 8.0 * z.size());
        CHECK(bits > 8.0 * (z.size() - 4));  // bzip2: 0..7 padding bits; gzip: final block flag too
      } else {
        CHECK(bits == 8.0 * z.size());
      }
    }
  }
}

TEST_CASE("names, bit exactness and windows") {
  CHECK(make_zstd(19)->name() == "zstd:19");
  CHECK(make_xz(9)->name() == "xz:9");
  CHECK(make_bzip2(9)->name() == "bzip2:9");
  CHECK(make_brotli(11)->name() == "brotli:11");
  CHECK(make_command("xz -9 -c", 30)->name() == "cmd:xz -9 -c");
  CHECK_FALSE(make_zstd(19)->bit_exact());
  CHECK_FALSE(make_xz(9)->bit_exact());
  CHECK(make_bzip2(9)->bit_exact());
  CHECK_FALSE(make_brotli(11)->bit_exact());
  CHECK_FALSE(make_command("cat", 30)->bit_exact());
  CHECK(make_zstd(19)->window_bytes() == (std::size_t{1} << 23));
  CHECK(make_zstd(1)->window_bytes() == (std::size_t{1} << 19));
  CHECK(make_xz(9)->window_bytes() == (std::size_t{64} << 20));
  CHECK(make_xz(6)->window_bytes() == (std::size_t{8} << 20));
  CHECK(make_bzip2(9)->window_bytes() == 900000);
  CHECK(make_bzip2(1)->window_bytes() == 100000);
  CHECK(make_brotli(11)->window_bytes() == (std::size_t{1} << 22) - 16);
  CHECK(make_command("cat", 30)->window_bytes() == (std::size_t{1} << 20));
}

TEST_CASE("library output equals the command-line tools' output") {
  // Same libraries underneath, so the same bytes: a check on both our settings and cmd:.
  const Bytes text = text_fixture();
  CHECK(make_xz(9)->compress(text) == make_compressor("cmd:xz -9 -c")->compress(text));
  CHECK(make_bzip2(9)->compress(text) == make_compressor("cmd:bzip2 -9 -c")->compress(text));
  CHECK(make_xz(9)->code_length_bits(text) == make_compressor("cmd:xz -9 -c")->code_length_bits(text));
}

TEST_CASE("cmd: real tools round-trip through the library decoders") {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      // zstd -19 from a pipe (size unknown) sets up its largest tables: 0.3 s a call, so -3 here.
      {"cmd:gzip -9 -c", "gzip:9"}, {"cmd:xz -9 -c", "xz:9"}, {"cmd:'zstd -3 -q -c'", "zstd:19"},
      {"cmd:\"bzip2 -9 -c\"", "bzip2:9"}, {"cmd:brotli -q 11 -c", "brotli:11"}};
  for (const auto& [cmd_spec, lib_spec] : pairs) {
    auto cmd = make_compressor(cmd_spec);
    auto lib = make_compressor(lib_spec);
    for (const auto& s : samples()) {
      CAPTURE(cmd_spec);
      CAPTURE(s.what);
      const Bytes z = cmd->compress(s.data);
      CHECK(lib->decompress(z) == s.data);
      CHECK(cmd->code_length_bits(s.data) == 8.0 * z.size());
    }
    CHECK(user_error_of([&] { cmd->decompress(Bytes{1, 2, 3}); }) ==
          "cmd: compressors can only be measured, not decoded");
  }
}

TEST_CASE("bad input to decompress is a one-line UserError") {
  const Bytes text = text_fixture();
  const Bytes small(text.begin(), text.begin() + 600);
  for (const auto& spec : kLibrarySpecs) {
    CAPTURE(spec);
    auto c = make_compressor(spec);
    const Bytes z = c->compress(small);
    auto rejects = [&](const Bytes& bad) {
      const std::string msg = user_error_of([&] { c->decompress(bad); });
      CHECK(msg != "<no UserError>");
      CHECK(msg.find('\n') == std::string::npos);
      return msg;
    };
    rejects({});
    const std::string garbage = "this is plainly not a compressed stream, is it? no.";
    rejects(Bytes(garbage.begin(), garbage.end()));
    // Every proper prefix is a truncated stream.
    for (size_t n = 0; n < z.size(); ++n) {
      CAPTURE(n);
      rejects(Bytes(z.begin(), z.begin() + n));
    }
    const std::string trailing = rejects(concat(z, Bytes{'x'}));
    CHECK(trailing.find("trailing") != std::string::npos);
    CHECK(rejects(concat(z, z)).find("trailing") != std::string::npos);
    // Flipped bits in the middle: caught by the CRCs of gzip, xz and bzip2 and zstd's checksum.
    // brotli has no checksum, so a flip may decode to other bytes; it must never crash.
    Bytes flipped = z;
    flipped[flipped.size() / 2] ^= 0x10;
    if (spec.rfind("brotli", 0) == 0) {
      Bytes decoded = small;
      try {
        decoded = c->decompress(flipped);
        CHECK(decoded != small);
      } catch (const UserError&) {
      }
    } else {
      rejects(flipped);
    }
  }
}

// ---- bzip2: the bit-exact length against an independent bit-level parse of the stream ----

namespace {

// Inner-loop checks throw instead of counting as doctest assertions (there are millions).
void expect(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("bzip2 parse: ") + what);
}

struct BitReader {
  const Bytes& s;
  size_t pos = 0;
  uint32_t bit() {
    // A plain throw, not REQUIRE: millions of bits are read and each assertion is counted.
    expect(pos < 8 * s.size(), "ran past the end of the stream");
    const uint32_t b = (s[pos >> 3] >> (7 - (pos & 7))) & 1;
    ++pos;
    return b;
  }
  uint64_t bits(int n) {
    uint64_t v = 0;
    while (n--) v = (v << 1) | bit();
    return v;
  }
};

// Walks every block (header, symbol map, selectors, code lengths, Huffman-coded symbols up to
// end-of-block) to the end-of-stream marker and its CRC; returns the bit position after them.
size_t bzip2_parse_end_bit(const Bytes& s) {
  BitReader r{s};
  REQUIRE(r.bits(24) == 0x425a68);  // "BZh"
  const uint64_t level = r.bits(8);
  REQUIRE((level >= '1' && level <= '9'));
  for (;;) {
    const uint64_t magic = r.bits(48);
    if (magic == 0x177245385090ull) {
      r.bits(32);  // combined CRC
      const size_t end = r.pos;
      while (r.pos < 8 * s.size()) expect(r.bit() == 0, "non-zero padding bit");  // padding: zero bits to the byte
      REQUIRE(end > 8 * s.size() - 8);
      return end;
    }
    REQUIRE(magic == 0x314159265359ull);
    r.bits(32 + 1 + 24);  // block CRC, randomised flag, origPtr
    const uint64_t used16 = r.bits(16);
    int n_in_use = 0;
    for (int i = 0; i < 16; ++i)
      if (used16 & (0x8000u >> i)) n_in_use += __builtin_popcount(static_cast<unsigned>(r.bits(16)));
    const int alpha = n_in_use + 2;
    const int n_groups = static_cast<int>(r.bits(3));
    REQUIRE((n_groups >= 2 && n_groups <= 6));
    const int n_selectors = static_cast<int>(r.bits(15));
    REQUIRE(n_selectors >= 1);
    std::vector<int> mtf(n_groups), selectors(n_selectors);
    for (int g = 0; g < n_groups; ++g) mtf[g] = g;
    for (auto& sel : selectors) {
      int j = 0;
      while (r.bit()) REQUIRE(++j < n_groups);
      const int v = mtf[j];
      for (; j > 0; --j) mtf[j] = mtf[j - 1];
      sel = mtf[0] = v;
    }
    // Canonical Huffman per table: codes assigned by (length, symbol), as in deflate.
    struct Table {
      std::vector<int> count = std::vector<int>(21, 0), sorted;
    };
    std::vector<Table> tables(n_groups);
    for (auto& t : tables) {
      std::vector<int> len(alpha);
      int cur = static_cast<int>(r.bits(5));
      for (int i = 0; i < alpha; ++i) {
        while (r.bit()) cur += r.bit() ? -1 : 1;
        expect(cur >= 1 && cur <= 20, "code length out of range");
        len[i] = cur;
      }
      for (int l = 1; l <= 20; ++l)
        for (int i = 0; i < alpha; ++i)
          if (len[i] == l) {
            t.count[l]++;
            t.sorted.push_back(i);
          }
    }
    for (int n_sym = 0;; ++n_sym) {
      expect(n_sym / 50 < n_selectors, "more symbols than selectors");
      const Table& t = tables[selectors[n_sym / 50]];
      int code = 0, first = 0, index = 0, sym = -1;
      for (int l = 1; l <= 20 && sym < 0; ++l) {
        code |= static_cast<int>(r.bit());
        if (code - first < t.count[l]) sym = t.sorted[index + code - first];
        index += t.count[l];
        first = (first + t.count[l]) << 1;
        code <<= 1;
      }
      expect(sym >= 0, "invalid Huffman code");
      if (sym == alpha - 1) break;  // end of block
    }
  }
}

}  // namespace

TEST_CASE("bzip2: code_length_bits is the stream's real end bit") {
  const Bytes text = text_fixture();
  std::mt19937 rng(7);
  std::vector<Bytes> inputs = {{}, {0}, Bytes(300000, 'z')};
  for (size_t n = 1; n <= 64; ++n) inputs.emplace_back(text.begin(), text.begin() + n);
  for (int i = 0; i < 60; ++i) {
    const size_t start = rng() % 10000, len = 1 + rng() % 9000;
    inputs.emplace_back(text.begin() + start, text.begin() + start + len);
  }
  for (int i = 0; i < 20; ++i) inputs.push_back(random_bytes(1 + rng() % 3000, 100 + i));
  // Several blocks: level 1 cuts blocks at 100 kB.
  Bytes big;
  while (big.size() < 250000) big.insert(big.end(), text.begin(), text.end());
  big.insert(big.end(), inputs.back().begin(), inputs.back().end());
  inputs.push_back(big);

  int padded = 0, total = 0;
  for (int level : {1, 9}) {
    auto c = make_bzip2(level);
    for (const auto& in : inputs) {
      const Bytes z = c->compress(in);
      const double bits = c->code_length_bits(in);
      CAPTURE(in.size());
      CHECK(bits == static_cast<double>(bzip2_parse_end_bit(z)));
      ++total;
      if (bits != 8.0 * z.size()) ++padded;
    }
  }
  // Padding is 0 bits only about one time in eight.
  CHECK(padded > total / 2);
}

TEST_CASE("the default code-length state equals compressing c·x from scratch") {
  const Bytes text = text_fixture();
  const Bytes context(text.begin(), text.begin() + 3000);
  const std::vector<Bytes> xs = {{}, {'a'}, {' ', 't', 'h', 'e'}, random_bytes(3, 9), Bytes(text.begin() + 3000, text.begin() + 3100)};
  for (const std::string spec : {"zstd:19", "xz:9", "bzip2:9", "brotli:11", "gzip:9", "cmd:gzip -9 -c"}) {
    CAPTURE(spec);
    auto c = make_compressor(spec);
    auto state = c->begin(context);
    CHECK(state->context_bits() == c->code_length_bits(context));
    for (const auto& x : xs) CHECK(state->bits_with(x) == c->code_length_bits(concat(context, x)));
    auto copy = state->clone();
    state->append(xs[2]);
    const Bytes longer = concat(context, xs[2]);
    CHECK(state->context_bits() == c->code_length_bits(longer));
    CHECK(state->bits_with(xs[1]) == c->code_length_bits(concat(longer, xs[1])));
    CHECK(copy->bits_with(xs[1]) == c->code_length_bits(concat(context, xs[1])));
  }
}

// ---- cmd: failures, timeouts, large data, threads ----

TEST_CASE("cmd: failures are one-line UserErrors") {
  const Bytes in = {'h', 'i'};
  auto err = [&](const std::string& command) { return user_error_of([&] { make_command(command, 10)->compress(in); }); };
  CHECK(err("false") == "cmd: `false` exited with code 1");
  CHECK(err("true") == "cmd: `true` wrote nothing to stdout");
  const std::string missing = err("no-such-program-xyz");
  CHECK(missing.find("command not found") != std::string::npos);
  CHECK(missing.find("127") != std::string::npos);
  CHECK(missing.find('\n') == std::string::npos);
  const std::string failing = err("echo 'first line' >&2; echo second >&2; exit 3");
  CHECK(failing.ends_with("exited with code 3: first line"));
  CHECK(err("kill -9 $$").find("killed by signal 9") != std::string::npos);
}

TEST_CASE("cmd: a timeout kills and reaps the whole process group in about the timeout") {
  auto t0 = std::chrono::steady_clock::now();
  CHECK(user_error_of([] { make_compressor("cmd:sleep 5", 1)->compress(Bytes{'x'}); }) ==
        "cmd: `sleep 5` timed out after 1 s");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(secs >= 0.9);
  CHECK(secs < 3.0);
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);  // no child left unreaped

  // A background grandchild is in the group and dies with it.
  char path[] = "/tmp/zgen-cmd-pid-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  t0 = std::chrono::steady_clock::now();
  const std::string msg = user_error_of([&] {
    make_command("sleep 7 & echo $! > " + std::string(path) + "; cat; wait", 0.5)->compress(Bytes{'x'});
  });
  CHECK(msg.find("timed out after 0.5 s") != std::string::npos);
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(secs < 2.5);
  long grandchild = 0;
  std::ifstream(path) >> grandchild;
  std::remove(path);
  REQUIRE(grandchild > 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string pid, comm, state;
    gone = !(stat >> pid >> comm >> state) || state == "Z" || comm != "(sleep)";
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(gone);
}

TEST_CASE("cmd: large data in and out without deadlock, and a child that stops reading") {
  const Bytes big = random_bytes(8 << 20, 3);
  CHECK(make_command("cat", 30)->compress(big) == big);
  // `head` exits after one byte: our writes hit a closed pipe; SIGPIPE must not kill us.
  CHECK(make_command("head -c 1", 30)->compress(big).size() == 1);
  CHECK(make_command("echo hi", 30)->compress(big) == Bytes{'h', 'i', '\n'});
}

TEST_CASE("cmd: several threads at once") {
  const Bytes text = text_fixture();
  auto gz = make_compressor("cmd:gzip -9 -c");
  auto head = make_compressor("cmd:head -c 5");
  auto lib = make_gzip(9);
  constexpr int kThreads = 8;
  std::vector<int> ok(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        const Bytes in(text.begin() + 100 * t + i, text.end());
        const Bytes z = gz->compress(in);
        const bool round_trip = lib->decompress(z) == in;
        const bool short_read = head->compress(in).size() == 5;
        ok[t] += round_trip && short_read;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) CHECK(ok[t] == 4);
}
