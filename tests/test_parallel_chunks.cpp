// Chunks processed together: several copies of a model, one thread each, must write the very file
// that one model writes alone, and decode it on any number of threads.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/fixtures.hpp"
#include "zgen/coding.hpp"
#include "zgen/errors.hpp"
#include "zgen/models.hpp"

namespace {

const auto make = zgen::test::make_single_threaded;

}  // namespace

TEST_CASE("chunks coded together give the serial file, and decode on any thread count") {
  // ppm (version 1, and version 3 with its fast path's map and paged slots) in 2048-byte
  // chunks; gzip (256 candidates costed per byte: slower) in 300-byte chunks.
  for (const auto& [spec, chunk] :
       {std::pair<std::string, std::size_t>{"ppm:4", 2048}, {"ppm3:6", 2048}, {"gzip:6", 300}}) {
    CAPTURE(spec);
    zgen::Bytes text = zgen::test::read_fixture("sotu-valid-30k.txt");
    text.resize(5 * chunk + 77);  // five whole chunks and a short one
    auto serial_model = make(spec);
    const auto serial = zgen::compress_to_container(*serial_model, spec, text, chunk);
    REQUIRE(serial.encoded.chunks == 6);

    std::vector<std::unique_ptr<zgen::Predictor>> copies;
    std::vector<zgen::Predictor*> predictors;
    for (int i = 0; i < 3; ++i) {
      copies.push_back(make(spec));
      predictors.push_back(copies.back().get());
    }
    // A used model must not leak its history into the next chunk: dirty two copies first.
    copies[1]->reset(zgen::as_bytes(std::string("some earlier history that a chunk must not see")));
    copies[2]->observe('x');
    std::uint64_t last_progress = 0;
    const auto together = zgen::compress_to_container(std::span<zgen::Predictor* const>(predictors), spec, text, chunk,
                                                      [&](std::uint64_t done) {
                                                        CHECK(done > last_progress);
                                                        last_progress = done;
                                                      });
    CHECK(together.file == serial.file);
    CHECK(last_progress == text.size());
    CHECK(together.encoded.ideal_bits == serial.encoded.ideal_bits);

    for (int threads : {1, 2, 4, 9}) {
      zgen::DecompressOptions options;
      options.threads = threads;
      CHECK(zgen::decompress_container(serial.file, make, options) == text);
    }
  }
}

TEST_CASE("a corrupt chunk fails the whole decode with one error, whatever the thread count") {
  zgen::Bytes text = zgen::test::read_fixture("sotu-valid-30k.txt");
  text.resize(4 * 2048);
  auto model = make("ppm:3");
  zgen::Bytes file = zgen::compress_to_container(*model, "ppm:3", text, 2048).file;
  file[file.size() / 2] ^= 0x10;  // inside a chunk's stream (the header is a few dozen bytes)
  for (int threads : {1, 3}) {
    zgen::DecompressOptions options;
    options.threads = threads;
    CHECK_THROWS_AS(zgen::decompress_container(file, make, options), zgen::UserError);
  }
}
