// ppm:N, ppm2:N and ppm3:N, the context-mixing model's three versions (src/models/ppm/ppm.hpp):
// determinism, the 256-way distribution against the coding path, learning, reset, hostile
// data, and the files each version wrote.
#include <doctest/doctest.h>

#include "tests/fixtures.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <span>
#include <vector>

#include "src/models/ppm/contexts.hpp"
#include "src/models/ppm/ppm.hpp"
#include "src/models/ppm/slot_layout.hpp"
#include "zgen/coding.hpp"
#include "zgen/sampling.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"

namespace {

using zgen::Bytes;
using zgen::Predictor;

using zgen::test::read_fixture;

Bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng() >> 24);
  return out;
}

// log_probs' output is a distribution: every entry finite, and Σ exp = 1.
void check_distribution(const std::array<double, 256>& lp) {
  double sum = 0;
  bool finite = true;
  for (double x : lp) finite = finite && std::isfinite(x), sum += std::exp(x);
  REQUIRE(finite);
  CHECK(std::abs(sum - 1) < 1e-9);
}

// Feeds bytes through the coding path; returns every p1() it saw, and adds the ideal
// code length in bits to *bits.
std::vector<std::uint32_t> code(Predictor& m, zgen::ByteView data, double* bits = nullptr) {
  zgen::BinaryPredictor* bin = m.as_binary();
  REQUIRE(bin != nullptr);
  std::vector<std::uint32_t> seen;
  seen.reserve(data.size() * 8);
  for (std::uint8_t byte : data) {
    for (int i = 7; i >= 0; --i) {
      const int bit = (byte >> i) & 1;
      const std::uint32_t p = bin->p1();
      seen.push_back(p);
      if (bits) *bits -= std::log2(bit ? p / 65536.0 : 1 - p / 65536.0);
      bin->update_bit(bit);
    }
  }
  // The BinaryPredictor contract: p1 in [1, 65535] (checked once per call: doctest
  // assertions per bit would dominate the run time).
  bool in_range = true;
  for (std::uint32_t p : seen) in_range = in_range && p >= 1 && p <= 65535;
  CHECK(in_range);
  return seen;
}

double bits_per_byte(Predictor& m, zgen::ByteView data) {
  double bits = 0;
  code(m, data, &bits);
  return bits / static_cast<double>(data.size());
}

// Adaptive order-0 baseline: counts with a 1/2 prior, the classic first model.
double order0_bits_per_byte(zgen::ByteView data) {
  std::array<double, 256> count{};
  count.fill(0.5);
  double total = 128, bits = 0;
  for (std::uint8_t b : data) {
    bits -= std::log2(count[b] / total);
    count[b] += 1;
    total += 1;
  }
  return bits / static_cast<double>(data.size());
}

// The probability the coding path gives to `byte` after `context`: the product of its
// 8 bit probabilities.
double path_probability(Predictor& m, zgen::ByteView context, std::uint8_t byte) {
  m.reset(context);
  zgen::BinaryPredictor* bin = m.as_binary();
  double p = 1;
  for (int i = 7; i >= 0; --i) {
    const int bit = (byte >> i) & 1;
    p *= bit ? bin->p1() / 65536.0 : 1 - bin->p1() / 65536.0;
    bin->update_bit(bit);
  }
  return p;
}

// The model's versions: what every test below checks holds for each.
struct Version {
  const char* family;
  std::unique_ptr<Predictor> (*primed)(int order);
  std::unique_ptr<Predictor> (*with_primer)(int order, zgen::ByteView primer);
};
const std::array<Version, 3> kVersions = {{{"ppm", zgen::make_context_mixing, zgen::make_context_mixing},
                                           {"ppm2", zgen::make_lean_context_mixing, zgen::make_lean_context_mixing},
                                           {"ppm3", zgen::make_fast_context_mixing, zgen::make_fast_context_mixing}}};

}  // namespace

TEST_CASE("ppm2 and ppm3: names and orders") {
  for (const Version& v : {kVersions[1], kVersions[2]}) {
    const std::string f = v.family;
    CAPTURE(f);
    CHECK(v.primed(6)->name() == f + ":6");
    CHECK(v.with_primer(3, {})->name() == f + ":3:unprimed");
    CHECK(zgen::make_predictor(f)->name() == f + ":6");
    CHECK(zgen::make_predictor(f + ":4:unprimed")->name() == f + ":4:unprimed");
    CHECK_THROWS_AS(v.primed(0), zgen::UserError);
    CHECK_THROWS_AS(v.primed(13), zgen::UserError);
    for (const char* bad : {":", ":x", ":13", ":6:", ":6:primed"}) CHECK_THROWS_AS(zgen::make_predictor(f + bad), zgen::UserError);
    for (int order : {1, 12}) CHECK(v.with_primer(order, {})->as_binary() != nullptr);
  }
  CHECK(zgen::make_predictor("ppm:6")->name() == "ppm:6");  // version 1 keeps its SPEC
}

TEST_CASE("is_predictor_spec: the SPECs that drive the coder themselves, not compressors") {
  for (const char* spec : {"ppm", "ppm:6", "ppm2", "ppm2:4:unprimed", "ppm3", "ppm3:6", "mix:gzip:9", "transformer:m.safetensors",
                           "transformer-v2:m.safetensors", "transformer-fp32:m.safetensors"})
    CHECK_MESSAGE(zgen::is_predictor_spec(spec), spec);
  for (const char* spec : {"gzip:9", "ppmd", "ppm2x:6", "ppm3x", "ppm4:6", "xz", "transformers:m", "cmd:cat"})
    CHECK_MESSAGE(!zgen::is_predictor_spec(spec), spec);
}

TEST_CASE("ppm: names and orders") {
  CHECK(zgen::make_context_mixing(6)->name() == "ppm:6");
  CHECK(zgen::make_context_mixing(3, {})->name() == "ppm:3:unprimed");
  CHECK_THROWS_AS(zgen::make_context_mixing(0), zgen::UserError);
  CHECK_THROWS_AS(zgen::make_context_mixing(13), zgen::UserError);
  for (int order : {1, 12}) CHECK(zgen::make_context_mixing(order, {})->as_binary() != nullptr);
}

TEST_CASE("ppm: two instances give the same predictions bit for bit") {
  const Bytes text = read_fixture("sotu-valid-70k.txt");
  Bytes data(text.begin(), text.begin() + 12000);
  const Bytes noise = random_bytes(3000, 7);
  data.insert(data.end(), noise.begin(), noise.end());
  for (const Version& v : kVersions)
    for (bool primed : {true, false}) {
      INFO("version " << v.family);
      auto a = primed ? v.primed(6) : v.with_primer(6, {});
      auto b = primed ? v.primed(6) : v.with_primer(6, {});
      CHECK(code(*a, data) == code(*b, data));
    }
}

TEST_CASE("ppm: the instance that primes predicts as later ones do, before and after resets") {
  // The first instance for an (order, primer) takes over the tables of the blank model that
  // learned the primer (model.cpp); later ones fill their own from the primed image. A primer
  // no other test uses makes `first` that instance.
  const Bytes text = read_fixture("sotu-valid-70k.txt");
  const zgen::ByteView primer(text.data() + 50000, 16384);
  const zgen::ByteView a(text.data(), 9000), b(text.data() + 30000, 3000);
  for (const Version& v : kVersions) {
    INFO("version " << v.family);
    auto first = v.with_primer(6, primer);
    auto later = v.with_primer(6, primer);
    CHECK(code(*first, a) == code(*later, a));
    first->reset({});
    later->reset({});
    CHECK(code(*first, b) == code(*later, b));
    auto third = v.with_primer(6, primer);
    first->reset({});
    CHECK(code(*first, a) == code(*third, a));
  }
}

TEST_CASE("ppm: log_probs is normalised, matches the coding path, and changes nothing") {
  for (const Version& v : kVersions) {
    INFO("version " << v.family);
    const Bytes text = read_fixture("sotu-valid-70k.txt");
    auto model = v.primed(6);
    auto twin = v.primed(6);   // never asked for log_probs
    auto probe = v.primed(6);  // walks single paths
    std::array<double, 256> lp{};
    std::size_t at = 0;
    for (std::size_t stop : {std::size_t{0}, std::size_t{1}, std::size_t{700}, std::size_t{3000}}) {
      const zgen::ByteView gap(text.data() + at, stop - at);
      for (std::uint8_t b : gap) model->observe(b);
      code(*twin, gap);
      at = stop;
      model->log_probs(lp);
      check_distribution(lp);
      const zgen::ByteView context(text.data(), stop);
      for (int byte : {static_cast<int>(text[stop]), 0, int{'e'}, int{' '}, 255, 128}) {
        const double p = path_probability(*probe, context, static_cast<std::uint8_t>(byte));
        CHECK(std::abs(std::exp(lp[byte]) / p - 1) < 1e-12);
      }
    }
    // log_probs left the model exactly where the twin is.
    const zgen::ByteView rest(text.data() + at, 2000);
    CHECK(code(*model, rest) == code(*twin, rest));
  }
}

TEST_CASE("ppm: learns English (fewer bits per byte than order 0 and a fixed bound)") {
  for (const Version& v : kVersions) {
    INFO("version " << v.family);
    const Bytes text = read_fixture("sotu-valid-70k.txt");
    const zgen::ByteView sample(text.data(), 40000);
    const double order0 = order0_bits_per_byte(sample);
    auto primed = v.primed(6);
    auto blank = v.with_primer(6, {});
    const double with_primer = bits_per_byte(*primed, sample);
    const double without = bits_per_byte(*blank, sample);
    MESSAGE("order-0 " << order0 << ", ppm:6 " << with_primer << ", unprimed " << without << " bits/byte");
    CHECK(order0 > 4.0);
    CHECK(with_primer < 2.3);
    CHECK(without < 2.6);
    CHECK(with_primer < without);
    CHECK(without < order0 - 1.5);
  }
}

TEST_CASE("ppm: reset forgets what came before") {
  for (const Version& v : kVersions) {
    INFO("version " << v.family);
    const Bytes text = read_fixture("sotu-valid-70k.txt");
    const zgen::ByteView before(text.data() + 20000, 5000), after(text.data() + 40000, 4000);
    for (bool primed : {true, false}) {
      auto used = primed ? v.primed(5) : v.with_primer(5, {});
      auto fresh = primed ? v.primed(5) : v.with_primer(5, {});
      code(*used, before);
      used->reset({});
      CHECK(code(*used, after) == code(*fresh, after));
      // reset(context) is a fresh model that observed the context.
      used->reset(before);
      fresh->reset({});
      for (std::uint8_t b : before) fresh->observe(b);
      CHECK(code(*used, after) == code(*fresh, after));
    }
  }
}

TEST_CASE("ppm: random bytes cost about 8 bits each, and every byte value is fine") {
  for (const Version& v : kVersions) {
    INFO("version " << v.family);
    const Bytes noise = random_bytes(40000, 12345);
    auto model = v.primed(6);
    const double bpb = bits_per_byte(*model, noise);
    MESSAGE("random bytes: " << bpb << " bits/byte");
    CHECK(bpb > 7.9);  // nothing to learn: less would mean a broken measurement
    CHECK(bpb < 8.1);

    Bytes all;
    for (int round = 0; round < 4; ++round)
      for (int b = 0; b < 256; ++b) all.push_back(static_cast<std::uint8_t>(b));
    auto fresh = v.with_primer(6, {});
    std::array<double, 256> lp{};
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (i % 97 == 0 || i + 1 == all.size()) {
        fresh->log_probs(lp);
        check_distribution(lp);
        // By the third round the sequence is a long repeat: the match model knows it.
        if (i >= 2 * 256 + 16) CHECK(std::exp(lp[all[i]]) > 0.5);
      }
      fresh->observe(all[i]);
    }
  }
}

TEST_CASE("ppm: extra_bits prices continuations exactly as coding them, and changes nothing") {
  for (const Version& v : kVersions) {
    INFO("version " << v.family);
    // The span method's prices (samplers/generate.cpp): each continuation's ideal code length with
    // the model learning through it, equal to the coding path's Σ −log2 p bit for bit; over a hundred
    // real and random continuations, of 1 to 40 bytes, after real contexts of several lengths.
    const Bytes text = read_fixture("sotu-valid-70k.txt");
    const Bytes noise = random_bytes(4000, 11);
    std::mt19937 rng(5);
    for (int order : {2, 6}) {
      auto model = v.primed(order);
      auto twin = v.primed(order);  // never asked for extra_bits
      auto probe = v.primed(order);
      zgen::ContinuationCost* cost = model->as_continuation_cost();
      REQUIRE(cost != nullptr);
      CHECK(cost->alphabet().size() == 256);
      std::size_t at = 0;
      int checked = 0;
      for (std::size_t stop : {std::size_t{0}, std::size_t{9}, std::size_t{2500}}) {
        const zgen::ByteView gap(text.data() + at, stop - at);
        for (std::uint8_t b : gap) model->observe(b);
        code(*twin, gap);
        at = stop;
        std::vector<Bytes> pieces;
        for (int i = 0; i < 40; ++i) {
          const std::size_t len = 1 + rng() % 40;
          const Bytes& from = i % 3 == 2 ? noise : text;
          const std::size_t start = rng() % (from.size() - len);
          pieces.emplace_back(from.begin() + static_cast<std::ptrdiff_t>(start),
                              from.begin() + static_cast<std::ptrdiff_t>(start + len));
        }
        pieces.emplace_back(text.begin() + static_cast<std::ptrdiff_t>(stop),
                            text.begin() + static_cast<std::ptrdiff_t>(stop + 32));  // the true continuation
        pieces.push_back(pieces.front());  // the same piece twice: the first left no trace
        const std::vector<double> bits = cost->extra_bits(pieces);
        REQUIRE(bits.size() == pieces.size());
        const zgen::ByteView context(text.data(), stop);
        bool exact = true;
        for (std::size_t i = 0; i < pieces.size(); ++i) {
          probe->reset(context);
          double expected = 0;
          code(*probe, pieces[i], &expected);
          exact = exact && bits[i] == expected;
          ++checked;
        }
        CHECK(exact);
        CHECK(bits.front() == bits.back());
        // The true continuation is far cheaper than noise of the same length.
        CHECK(bits[pieces.size() - 2] < 32 * 4.0);
      }
      CHECK(checked == 3 * 42);
      // extra_bits left the model exactly where the twin is.
      const zgen::ByteView rest(text.data() + at, 3000);
      CHECK(code(*model, rest) == code(*twin, rest));
    }
  }
}

TEST_CASE("ppm: the span method samples from ppm, deterministically by seed") {
  const Bytes text = read_fixture("sotu-valid-30k.txt");
  const zgen::ByteView context(text.data(), 3000);
  auto sample = [&](std::uint64_t seed) {
    auto model = zgen::make_context_mixing(4);
    zgen::SamplerParams params;
    params.seed = seed;
    zgen::GenerationOptions options;
    options.length = 40;
    zgen::SamplerChain chain = zgen::make_generation_chain(params, options);
    return zgen::generate_after(*model, chain, context, options);
  };
  const Bytes a = sample(1), b = sample(1), c = sample(2);
  CHECK(a.size() == 40);
  CHECK(a == b);
  CHECK(a != c);
  // Spans are the context's pieces: the sample is made of its words, so mostly letters and spaces.
  std::size_t letters = 0;
  for (std::uint8_t x : a) letters += std::isalpha(x) || x == ' ';
  CHECK(letters >= 28);
}

namespace {
// A committed .zgen file of `spec`: it names spec, decodes to `original`, and coding
// `original` with a new model of that SPEC in `chunk`-byte chunks makes it again, byte for byte.
struct CommittedFile {
  const char* fixture;
  const Bytes& original;
  std::uint64_t chunk;
};
void check_committed_file(const CommittedFile& c, const char* spec, std::unique_ptr<zgen::Predictor> model) {
  CAPTURE(c.fixture);
  const Bytes file = read_fixture(c.fixture);
  CHECK(zgen::parse_container(file).header.model_spec == spec);
  CHECK(zgen::decompress_container(file, zgen::test::make_single_threaded) == c.original);
  CHECK(zgen::compress_to_container(*model, spec, c.original, c.chunk).file == file);
}
}  // namespace

TEST_CASE("ppm: files written before the speed work decode, and coding makes them again byte for byte") {
  // The fixtures were written by the library at commit 34dfccc (before ppm's speed work:
  // huge pages, prefetching, vector mixers); ppm:6's predictions, hence its files, must
  // not change: the container names the model, so an old file would otherwise not decode.
  const Bytes text = read_fixture("sotu-valid-30k.txt");
  const Bytes head(text.begin(), text.begin() + 8192);
  for (const CommittedFile& c : {CommittedFile{"v2-ppm6-sotu30k.zgen", text, 0},
                                 CommittedFile{"v2-ppm6-sotu8k-chunks2048.zgen", head, 2048}})
    check_committed_file(c, "ppm:6", zgen::make_context_mixing(6));
}

namespace {
// A later version's committed files (written by its first commit: tests/data/README.md): its
// predictions, hence its files, must not change. The two files: sotu-valid-30k.txt whole and
// its first 8 KB in 2048-byte chunks, "v2-FAMILY-order6-…". A file names its version by its
// SPEC, and the previous version's model has another identity, so it is refused, not
// misdecoded, and the other way round (`previous_file`: one of the previous version's files).
void check_version_files(const Version& v, const char* previous_spec, const char* previous_file) {
  const Bytes text = read_fixture("sotu-valid-30k.txt");
  const Bytes head(text.begin(), text.begin() + 8192);
  const std::string spec = std::string(v.family) + ":6";
  const std::string whole = "v2-" + std::string(v.family) + "-order6-sotu30k.zgen";
  const std::string chunks = "v2-" + std::string(v.family) + "-order6-sotu8k-chunks2048.zgen";
  for (const CommittedFile& c : {CommittedFile{whole.c_str(), text, 0}, CommittedFile{chunks.c_str(), head, 2048}}) {
    check_committed_file(c, spec.c_str(), v.primed(6));
    zgen::DecompressOptions other;
    other.model_override = previous_spec;
    CHECK_THROWS_AS(zgen::decompress_container(read_fixture(c.fixture), zgen::test::make_single_threaded, other),
                    zgen::UserError);
  }
  zgen::DecompressOptions as_this;
  as_this.model_override = spec;
  CHECK_THROWS_AS(zgen::decompress_container(read_fixture(previous_file), zgen::test::make_single_threaded, as_this),
                  zgen::UserError);
}
}  // namespace

TEST_CASE("ppm2: its committed files decode, coding makes them again byte for byte, and ppm:6 cannot read them") {
  check_version_files(kVersions[1], "ppm:6", "v2-ppm6-sotu30k.zgen");
}

TEST_CASE("ppm3: its committed files decode, coding makes them again byte for byte, and ppm2:6 cannot read them") {
  check_version_files(kVersions[2], "ppm2:6", "v2-ppm2-order6-sotu30k.zgen");
}

TEST_CASE("ppm3's paged slots: a context's two nibbles in one 4 KB page, in disjoint lines") {
  using ContextSlots = zgen::ppm::ContextSlots<true>;
  // Order 1's sizes (the smallest): 2^8 + 2^12 lines, 68 pages.
  ContextSlots paged(8, 12);
  REQUIRE(paged.tables().size() == 1);
  const std::uint8_t* base = paged.tables()[0]->line(0);
  CHECK(reinterpret_cast<std::uintptr_t>(base) % 4096 == 0);
  std::mt19937_64 rng(7);
  std::vector<int> pages_used(68);
  zgen::ppm::NoUndo no_undo;
  for (int i = 0; i < 5000; ++i) {
    const std::uint64_t h = rng();
    const std::uint8_t* first = paged.first_line(h);
    const auto page = (first - base) / 4096;
    REQUIRE(page < 68);
    ++pages_used[static_cast<std::size_t>(page)];
    CHECK((first - base) % 4096 / 64 < ContextSlots::kFirstLines);
    std::uint8_t* slot1 = paged.claim_first(paged.first_line(h), h, no_undo);
    for (int nibble = 0; nibble < 16; ++nibble) {
      const std::uint64_t h2 = zgen::ppm::second_nibble_hash(h, nibble);
      const std::uint8_t* second = paged.second_line(h, h2);
      REQUIRE((second - base) / 4096 == page);
      REQUIRE((second - base) % 4096 / 64 >= ContextSlots::kFirstLines);
      paged.claim_second(paged.second_line(h, h2), h2, no_undo);
    }
    // The second nibble's claims never evict the first nibble's slot.
    CHECK(paged.claim_first(paged.first_line(h), h, no_undo) == slot1);
  }
  // Hashes spread over every page.
  CHECK(*std::min_element(pages_used.begin(), pages_used.end()) > 5000 / 68 / 2);
  // The split layout: two tables, as ppm:N and ppm2:N have always had.
  CHECK(zgen::ppm::ContextSlots<false>(8, 12).tables().size() == 2);
}

TEST_CASE("each later version codes real text close to the one before, on text it was not developed on") {
  // sotu-valid-70k.txt: no version was tuned on it (ppm2 and ppm3 on sotu-train.txt). ppm2
  // has fewer parts than ppm; ppm3 codes about half the bits with a coarser map than ppm2.
  const Bytes text = read_fixture("sotu-valid-70k.txt");
  double before = 0;
  for (std::size_t i = 0; i < kVersions.size(); ++i) {
    const double bits = bits_per_byte(*kVersions[i].primed(6), text);
    const std::string name = std::string(kVersions[i].family) + ":6";
    MESSAGE(name << " " << bits << " bits/byte");
    CHECK(bits < 2.1);
    if (i > 0) CHECK(bits < before * (i == 1 ? 1.02 : 1.01));
    before = bits;
  }
}
