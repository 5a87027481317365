#pragma once
// zgen, all of it: compressors as generative models, models as compressors.
//
//   #include <zgen/zgen.hpp>
//   auto gzip = zgen::make_predictor("gzip:9");               // a compressor as a next-byte model
//   gzip->reset(zgen::default_corpus());
//   zgen::SamplerChain chain = zgen::make_chain({.seed = 1});
//   zgen::Bytes text = zgen::generate(*gzip, chain, {.length = 200});
//
//   auto ppm = zgen::make_predictor("ppm:6");                  // a model as a compressor
//   zgen::Bytes file = zgen::compress_to_container(*ppm, "ppm:6", data, 2048).file;
//   zgen::Bytes back = zgen::decompress_container(file, [](const std::string& spec) {
//     return zgen::make_predictor(spec); });
//
// Link zgen::zgen (CMake: find_package(zgen)) or `pkg-config --cflags --libs zgen`; C++20.
#include "zgen/audio.hpp"       // recordings as 8-bit mono bytes
#include "zgen/bytes.hpp"       // Bytes, ByteView
#include "zgen/coding.hpp"      // compress / decompress to the .zgen container
#include "zgen/compressor.hpp"  // Compressor, CodeLengthState, make_compressor (SPECs)
#include "zgen/corpus.hpp"      // the built-in corpus
#include "zgen/errors.hpp"      // UserError and its kinds
#include "zgen/evaluation.hpp"  // score_model; the Table-1 measurements (measure_chunked, ...)
#include "zgen/images.hpp"      // grayscale images, 64×32 patches, patch completion
#include "zgen/models.hpp"      // make_predictor (every SPEC: compressors, ppm, transformer, mix)
#include "zgen/predictor.hpp"   // Predictor, BinaryPredictor, ContinuationCost
#include "zgen/sampler.hpp"     // CandidateSet, Sampler, the built-in samplers
#include "zgen/sampling.hpp"    // SamplerParams, SamplerChain, generate
#include "zgen/transformer.hpp" // TransformerConfig, make_transformer_predictor, train_transformer
#include "zgen/version.hpp"     // ZGEN_VERSION
