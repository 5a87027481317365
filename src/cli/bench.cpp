// zgen bench: the paper's Table 1 (compression rates of text, image and audio) on the user's data.
//
// Data protocol (../shared/data/README.md): text files and audio files are cut into 2048-byte
// chunks, each file on its own (a chunk never spans two files; a file's last partial chunk is
// dropped); photos become grayscale 64-wide × 32-high patches (include/zgen/images.hpp); audio becomes
// 8-bit unsigned mono samples (include/zgen/audio.hpp). --chunks N keeps N chunks per modality, evenly
// spaced (select_evenly), and the unchunked column compresses those same chunks concatenated.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/cli/cli_common.hpp"
#include "src/cli/processes.hpp"
#include "src/cli/draw/bar_chart.hpp"
#include "src/cli/progress.hpp"
#include "src/common/file_io.hpp"
#include "src/eval/bench_rates.hpp"
#include "src/eval/evaluation.hpp"
#include "src/parallel/world.hpp"
#include "zgen/audio.hpp"
#include "zgen/errors.hpp"
#include "zgen/images.hpp"

namespace zgen::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultModels = "gzip,xz,zstd,bzip2,brotli,png,flac,ppm";

struct Modality {
  std::string name;                  // "text", "image", "audio"
  std::vector<std::string> sources;  // files read, in order
  std::size_t available = 0;         // chunks before the --chunks selection
  std::vector<Bytes> chunks;         // the selected chunks, kChunkBytes each
  Bytes predict_data;                // the first --predict-bytes bytes of the selected chunks
};

struct Cells {
  SizeCell chunked, unchunked;
  std::optional<ScoreResult> predictor;
};

struct Row {
  BenchModel model;
  std::vector<Cells> per_modality;  // parallel to the modalities
};


std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

// The regular files in `dir` whose extension is one of `extensions`, sorted by name.
std::vector<std::string> files_in(const std::string& option, const std::string& dir,
                                  const std::vector<std::string>& extensions, const std::string& kinds) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UserError("--" + option + " '" + dir + "' is not a directory");
  std::vector<std::string> files;
  fs::directory_iterator it(dir, ec), end;
  if (ec) throw UserError("--" + option + " '" + dir + "': " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw UserError("--" + option + " '" + dir + "': " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    if (std::find(extensions.begin(), extensions.end(), lower_extension(it->path())) != extensions.end())
      files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw UserError("--" + option + " '" + dir + "' holds no " + kinds + " files");
  return files;
}

void add_chunks(Modality& m, const std::vector<Bytes>& chunks) {
  m.available += chunks.size();
  m.chunks.insert(m.chunks.end(), chunks.begin(), chunks.end());
}

void require_chunks(const Modality& m, const std::string& what) {
  if (m.chunks.empty())
    throw UserError("no " + std::to_string(kChunkBytes) + "-byte chunk in " + what +
                    " (each file needs at least 2048 bytes of data)");
}

// The chunks of the --text files, at most `limit` of them evenly spaced (0: all). From regular files
// only the selected chunks are read (by seeking), so memory holds what is measured, not the input:
// `--chunks 1000` on a 10 GB corpus reads 2 MB. Standard input or a pipe is read whole.
Modality load_text(const std::vector<std::string>& paths, std::size_t limit) {
  Modality m{"text", paths, 0, {}, {}};
  std::vector<std::size_t> counts;  // chunks per file, parallel to paths
  bool seekable = true;
  for (const auto& p : paths) {
    const InputFileInfo info = p == "-" ? InputFileInfo{0, false} : check_input_file(p);
    seekable = seekable && info.regular;
    counts.push_back(static_cast<std::size_t>(info.size / kChunkBytes));
  }
  if (!seekable || limit == 0) {
    for (const auto& p : paths) add_chunks(m, whole_chunks(read_input(p)));
    m.chunks = select_evenly(std::move(m.chunks), limit);
  } else {
    for (std::size_t c : counts) m.available += c;
    const std::size_t take = std::min(limit, m.available);
    std::size_t file = 0, first = 0;  // chunks of files before `file`
    std::ifstream in;
    for (std::size_t i = 0; i < take; ++i) {
      const std::size_t k = i * m.available / take;  // the same chunks as select_evenly picks
      if (k >= first + counts[file] || !in.is_open()) {
        while (k >= first + counts[file]) first += counts[file++];
        in = std::ifstream(paths[file], std::ios::binary);
        if (!in) throw FileError(paths[file], "cannot open '" + paths[file] + "'");
      }
      Bytes chunk(kChunkBytes);
      in.seekg(static_cast<std::streamoff>((k - first) * kChunkBytes));
      in.read(reinterpret_cast<char*>(chunk.data()), static_cast<std::streamsize>(kChunkBytes));
      if (in.gcount() != static_cast<std::streamsize>(kChunkBytes))
        throw FileError(paths[file], "cannot read '" + paths[file] + "' (did it change while being read?)");
      m.chunks.push_back(std::move(chunk));
    }
  }
  require_chunks(m, "the --text files");
  return m;
}

Modality load_images(const std::string& dir) {
  Modality m{"image", files_in("images", dir, {".png", ".jpg", ".jpeg"}, "PNG or JPEG"), 0, {}, {}};
  for (const auto& p : m.sources) add_chunks(m, image_patches(read_gray_image(p), p));
  return m;
}

Modality load_audio(const std::string& dir) {
  Modality m{"audio", files_in("audio", dir, {".wav", ".flac", ".ogg", ".oga"}, "WAV, FLAC or OGG"), 0, {}, {}};
  for (const auto& p : m.sources) add_chunks(m, whole_chunks(read_audio_bytes(p).samples));
  require_chunks(m, "the --audio files");
  return m;
}

std::string percent(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", 100 * rate);
  return buf;
}

void print_table(const std::vector<Modality>& mods, const std::vector<Row>& rows, long long predict_bytes) {
  std::printf("Compression rates (compressed size / raw size, %%): Table 1 of Deletang et al. 2023 on this data\n\n");
  for (const auto& m : mods)
    std::printf("- %s: %zu file(s), %zu of %zu chunks of %zu bytes (%zu bytes)\n", m.name.c_str(), m.sources.size(),
                m.chunks.size(), m.available, kChunkBytes, m.chunks.size() * kChunkBytes);
  std::printf("\n| chunk size | compressor | parameters |");
  for (const auto& m : mods) std::printf(" %s raw |", m.name.c_str());
  for (const auto& m : mods) std::printf(" %s adjusted |", m.name.c_str());
  std::printf("\n|---|---|---:|");
  for (std::size_t i = 0; i < 2 * mods.size(); ++i) std::printf("---:|");
  std::printf("\n");
  for (int whole = 0; whole < 2; ++whole) {
    for (const auto& r : rows) {
      std::printf("| %s | %s | %llu |", whole ? "whole" : "2048", r.model.name.c_str(),
                  static_cast<unsigned long long>(r.model.parameters));
      for (const auto& c : r.per_modality) std::printf(" %s |", percent((whole ? c.unchunked : c.chunked).rate()).c_str());
      for (const auto& c : r.per_modality)
        std::printf(" %s |", percent((whole ? c.unchunked : c.chunked).adjusted_rate(r.model.parameters)).c_str());
      std::printf("\n");
    }
  }
  std::printf("\n2048: each chunk compressed on its own, sizes summed; whole: the same chunks concatenated and\n"
              "compressed once. Adjusted: parameters count 2 bytes each. ppm and transformer sizes are the\n"
              "arithmetic coder's actual output (a varint length and the coded stream per piece).\n");
  if (predict_bytes <= 0) return;
  std::printf("\nBits per byte as a predictor (log-loss of the model's distribution over 256 bytes on the first\n"
              "%lld bytes of each modality's chunks, the model starting blank)\n\n| model |",
              predict_bytes);
  for (const auto& m : mods) std::printf(" %s |", m.name.c_str());
  std::printf("\n|---|");
  for (std::size_t i = 0; i < mods.size(); ++i) std::printf("---:|");
  std::printf("\n");
  for (const auto& r : rows) {
    std::printf("| %s |", r.model.name.c_str());
    for (const auto& c : r.per_modality) std::printf(" %.4f |", c.predictor->bits_per_byte());
    std::printf("\n");
  }
}

nlohmann::json cell_json(const SizeCell& c, std::uint64_t parameters) {
  nlohmann::json j = {{"raw_bytes", c.raw_bytes},
                      {"compressed_bytes", c.compressed_bytes},
                      {"rate", c.rate()},
                      {"adjusted_rate", c.adjusted_rate(parameters)}};
  if (c.ideal_bytes) j["ideal_bytes"] = *c.ideal_bytes;
  return j;
}

nlohmann::json results_json(const std::vector<Modality>& mods, const std::vector<Row>& rows, long long chunks_limit,
                            long long predict_bytes) {
  nlohmann::json jm = nlohmann::json::array();
  for (const auto& m : mods)
    jm.push_back({{"name", m.name},
                  {"sources", m.sources},
                  {"available_chunks", m.available},
                  {"chunks", m.chunks.size()},
                  {"raw_bytes", m.chunks.size() * kChunkBytes}});
  nlohmann::json jr = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json j = {{"spec", r.model.spec},
                        {"model", r.model.name},
                        {"kind", r.model.coded ? "arithmetic-coded predictor" : "compressor"},
                        {"parameters", r.model.parameters}};
    for (std::size_t i = 0; i < mods.size(); ++i) {
      const Cells& c = r.per_modality[i];
      nlohmann::json cj = {{"chunked", cell_json(c.chunked, r.model.parameters)},
                           {"unchunked", cell_json(c.unchunked, r.model.parameters)}};
      if (c.predictor)
        cj["predictor"] = {{"bytes", c.predictor->bytes}, {"bits_per_byte", c.predictor->bits_per_byte()}};
      j[mods[i].name] = cj;
    }
    jr.push_back(j);
  }
  return {{"chunk_bytes", kChunkBytes},
          {"chunks_limit", chunks_limit},
          {"selection", "evenly spaced: chunk floor(i*M/N) of the M available, i < N"},
          {"rate", "compressed bytes / raw bytes (a fraction)"},
          {"adjusted_rate", "(compressed bytes + 2 * parameters) / raw bytes"},
          {"predictor_bytes", predict_bytes},
          {"modalities", jm},
          {"models", jr}};
}

void write_plot(const std::string& path, const std::vector<Modality>& mods, const std::vector<Row>& rows) {
  BarChart chart;
  chart.title = "COMPRESSION RATE, 2048-BYTE CHUNKS (LOWER IS BETTER)";
  for (const auto& r : rows) chart.series.push_back(r.model.name);
  for (std::size_t i = 0; i < mods.size(); ++i) {
    chart.groups.push_back(mods[i].name);
    std::vector<double> v;
    for (const auto& r : rows) v.push_back(100 * r.per_modality[i].chunked.rate());
    chart.values.push_back(v);
  }
  write_gray_png(path, draw_bar_chart(chart));
}

// The measurements spread over the processes of `mpirun -np N zgen bench`, with the table the
// single process makes, to the bit: each process measures its share of every cell's chunks
// (chunks [r·n/N, (r+1)·n/N)) and whole cells of the unchunked and predictor columns (each to
// the process with the least work so far, in table order), writes its figures into its own
// slots of one vector of zeros, and the vector is summed over the processes (every slot has one
// writer, and x + 0 = x exactly); the cells are then summed in chunk order as alone. A failure
// in the measurements stops every process with one message (on_every_process).
void measure_on_every_process(parallel::World& world, std::vector<Row>& rows, const std::vector<Modality>& mods,
                              int threads, bool predict, const PredictorOptions& popts, bool quiet) {
  const auto N = static_cast<std::size_t>(world.size()), me = static_cast<std::size_t>(world.rank());
  // Per cell (row, modality): 2 slots per chunk, then the unchunked (actual, ideal) and the
  // predictor (bits, bytes).
  std::vector<std::size_t> cell_at;
  std::size_t slots = 0;
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (const auto& m : mods) {
      cell_at.push_back(slots);
      slots += 2 * m.chunks.size() + 4;
    }
  // Whole jobs (the unchunked and predictor columns) to the least loaded process, in order.
  struct Job {
    std::size_t row, mod;
    bool predictor;
  };
  std::vector<double> load(N, 0);
  std::vector<Job> mine;
  std::size_t my_bytes = 0;
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t k = 0; k < mods.size(); ++k) {
      const std::size_t n = mods[k].chunks.size();
      my_bytes += ((me + 1) * n / N - me * n / N) * kChunkBytes;
      for (const bool predictor : {false, true}) {
        if (predictor && !predict) continue;
        // A predictor's byte costs its 256 candidates; an unchunked byte one pass.
        const double cost = predictor ? 256.0 * static_cast<double>(mods[k].predict_data.size())
                                      : static_cast<double>(n * kChunkBytes);
        const auto to = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
        load[to] += cost;
        if (to != me) continue;
        mine.push_back({r, k, predictor});
        my_bytes += predictor ? mods[k].predict_data.size() : n * kChunkBytes;
      }
    }

  std::vector<double> figures(slots, 0.0);
  on_every_process([&] {
    Progress progress("measured (this process's share)", my_bytes, quiet);
    const auto advance = [&](std::size_t n) { progress.advance(n); };
    std::size_t cell = 0;
    for (auto& r : rows)
      for (const auto& m : mods) {
        const std::size_t n = m.chunks.size(), first = me * n / N, last = (me + 1) * n / N;
        const auto sizes = measure_chunk_sizes(r.model, m.chunks, first, last, threads, advance);
        double* at = figures.data() + cell_at[cell++] + 2 * first;
        for (const auto& s : sizes) {
          *at++ = s.actual;
          *at++ = s.ideal;
        }
      }
    for (const Job& j : mine) {
      const Modality& m = mods[j.mod];
      double* at = figures.data() + cell_at[j.row * mods.size() + j.mod] + 2 * m.chunks.size() + (j.predictor ? 2 : 0);
      if (j.predictor) {
        const ScoreResult s = score_model(rows[j.row].model.spec, {}, m.predict_data, popts, [&] { progress.advance(1); });
        at[0] = s.model_bits;
        at[1] = static_cast<double>(s.bytes);
      } else {
        const SizeCell c = measure_unchunked(rows[j.row].model, m.chunks, advance);
        at[0] = c.compressed_bytes;
        at[1] = c.ideal_bytes.value_or(0);
      }
    }
    progress.finish();
  });
  world.sum(figures);

  std::size_t cell = 0;
  for (auto& r : rows)
    for (const auto& m : mods) {
      const double* at = figures.data() + cell_at[cell++];
      const std::size_t n = m.chunks.size();
      std::vector<ChunkSize> sizes(n);
      for (std::size_t i = 0; i < n; ++i) sizes[i] = {at[2 * i], at[2 * i + 1]};
      Cells c;
      c.chunked = sum_chunk_sizes(r.model, m.chunks, sizes);
      at += 2 * n;
      c.unchunked.raw_bytes = n * kChunkBytes;
      c.unchunked.compressed_bytes = at[0];
      if (r.model.coded) c.unchunked.ideal_bytes = at[1];
      if (predict) {
        ScoreResult s;
        s.model = r.model.name;
        s.model_bits = at[2];
        s.bytes = static_cast<std::size_t>(at[3]);
        c.predictor = s;
      }
      r.per_modality.push_back(std::move(c));
    }
}

}  // namespace

int run_bench(int argc, char** argv) {
  std::vector<std::string> text_paths;
  std::string images_dir, audio_dir, models_list, json_path, plot_path;
  long long chunks_limit = 0, predict_bytes = 0, threads = 0;
  po::options_description options("options");
  options.add_options()
      ("text", po::value(&text_paths)->multitoken(), "text files (each cut into 2048-byte chunks)")
      ("images", po::value(&images_dir), "a directory of PNG/JPEG photos (grayscale patches, 64 wide x 32 high)")
      ("audio", po::value(&audio_dir), "a directory of WAV/FLAC/OGG files (8-bit mono, 2048-byte chunks)")
      ("models", po::value(&models_list)->default_value(kDefaultModels), "comma-separated SPECs: compressors, ppm[:N], ppm2[:N], ppm3[:N], transformer:PATH, mix:A+B")
      ("chunks", po::value(&chunks_limit)->default_value(0), "use at most N chunks per modality, evenly spaced (0: all)")
      ("predict-bytes", po::value(&predict_bytes)->default_value(32), "bits/byte of each model as a predictor on the first N bytes of each modality (slow: 256 candidates costed per byte, ~5 ms each for xz:9; 0: skip)")
      ("json", po::value(&json_path), "write the results as JSON to this file (-: standard output, after the table)")
      ("plot", po::value(&plot_path), "draw the chunked rates as a PNG bar chart")
      ("threads,j", po::value(&threads)->default_value(default_threads()), "threads (chunks in parallel; the results do not depend on it)")
      ("quiet,q", "no progress on stderr");
  po::variables_map vm;
  // On several processes (mpirun -np N zgen bench) every process checks the flags and reads the
  // data (each node its own copies), and they agree before measuring.
  std::vector<Row> rows;
  std::vector<Modality> mods;
  bool quiet = false, help = false;
  parallel::World& world = parallel::world();
  on_every_process([&] {
    help = !parse_or_help(argc, argv, options, vm,
                          "usage: zgen bench [--text FILE...] [--images DIR] [--audio DIR] [--models gzip,xz,...]\n"
                          "                  [--chunks N] [--predict-bytes N] [--json FILE] [--plot FILE.png] [--threads N]\n"
                          "The paper's Table 1 on your data: each model's compression rate on text, images and audio, in\n"
                          "2048-byte chunks and whole, raw and adjusted for parameters, and its bits/byte as a predictor.\n"
                          "Default models: " + std::string(kDefaultModels) + ".\n"
                          "Under mpirun -np N (or srun), N processes share the work (each with --threads threads);\n"
                          "process 0 prints the same table and writes the files.");
    if (help) return;
    const auto predict_limit = static_cast<std::size_t>(predict_bytes);
    require_at_least("chunks", chunks_limit, 0);
    require_at_least("predict-bytes", predict_bytes, 0);
    require_at_least("threads", threads, 1);
    if (text_paths.empty() && images_dir.empty() && audio_dir.empty())
      throw UserError("nothing to measure: give --text FILE..., --images DIR and/or --audio DIR");
    if (vm.count("text") && text_paths.empty()) throw UserError("--text needs at least one file");
    quiet = vm.count("quiet") > 0 || !world.leader();

    // Check every SPEC before reading any data.
    for (const auto& spec : split_specs("models", models_list)) rows.push_back({describe_bench_model(spec), {}});

    if (!text_paths.empty()) mods.push_back(load_text(text_paths, static_cast<std::size_t>(chunks_limit)));
    if (!images_dir.empty()) mods.push_back(load_images(images_dir));
    if (!audio_dir.empty()) mods.push_back(load_audio(audio_dir));
    for (auto& m : mods) {
      m.chunks = select_evenly(std::move(m.chunks), static_cast<std::size_t>(chunks_limit));
      for (const auto& c : m.chunks) {
        const std::size_t take = std::min(c.size(), predict_limit - m.predict_data.size());
        m.predict_data.insert(m.predict_data.end(), c.begin(), c.begin() + static_cast<std::ptrdiff_t>(take));
        if (m.predict_data.size() == predict_limit) break;
      }
      if (!quiet)
        std::fprintf(stderr, "zgen bench: %s: %zu file(s), %zu chunks, using %zu\n", m.name.c_str(), m.sources.size(),
                     m.available, m.chunks.size());
    }
  });
  if (help) return 0;

  PredictorOptions popts;
  popts.threads = static_cast<int>(threads);
  if (world.alone()) {
    std::size_t total = 0;
    for (const auto& m : mods) total += 2 * m.chunks.size() * kChunkBytes + m.predict_data.size();
    total *= rows.size();
    Progress progress("measured", total, quiet);
    const auto advance = [&](std::size_t n) { progress.advance(n); };
    for (auto& r : rows) {
      for (const auto& m : mods) {
        Cells c;
        c.chunked = measure_chunked(r.model, m.chunks, static_cast<int>(threads), advance);
        c.unchunked = measure_unchunked(r.model, m.chunks, advance);
        if (predict_bytes > 0) c.predictor = score_model(r.model.spec, {}, m.predict_data, popts, [&] { progress.advance(1); });
        r.per_modality.push_back(std::move(c));
      }
    }
    progress.finish();
  } else {
    measure_on_every_process(world, rows, mods, static_cast<int>(threads), predict_bytes > 0, popts, quiet);
  }
  if (!world.leader()) return 0;

  print_table(mods, rows, predict_bytes);
  if (!json_path.empty()) {
    const std::string text = results_json(mods, rows, chunks_limit, predict_bytes).dump(2) + "\n";
    write_output(json_path, as_bytes(text));
  }
  if (!plot_path.empty()) write_plot(plot_path, mods, rows);
  return 0;
}

}  // namespace zgen::cli
