#pragma once
// What `zgen judge` and `zgen compare --judge` print: one row per generator (and one for the
// real-text reference), each column's mean and spread over seeds, as a table or as JSON; and
// the progress lines with an ETA that such a run prints on stderr.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/eval/judge.hpp"
#include "zgen/bytes.hpp"

namespace zgen::cli {

// Printable rendering of a sample for a table: control bytes shown as escapes (\n, \t, \x01).
std::string printable(ByteView bytes);

// One judged text: a sample (with its seed) or a reference passage (with its offset in the data).
struct JudgedText {
  std::uint64_t seed = 0;    // samples
  std::size_t offset = 0;    // reference passages
  Bytes text;
  Verdict verdict;
};

struct JudgedRow {
  std::string label;
  bool reference = false;  // the real-text row: texts are passages of the data, not samples
  std::vector<JudgedText> texts;
};

// Mean and spread of each column over the row's texts, and (with_texts) every text with its
// columns: {"bits_per_byte": {"mean", "stdev", "min", "max"}, ..., "texts": [...]}.
nlohmann::json row_json(const JudgedRow& row, bool with_texts);

// The table, one line per row: "mean (min–max)" of each column over the row's texts.
void print_judge_table(std::FILE* out, const std::vector<JudgedRow>& rows);

// Progress of a long judging run, one line per finished step on stderr, with an ETA from the
// rates measured so far: each kind of work (sampling from one generator, judging) is planned in
// bytes, and the rest of a kind is timed at its own rate once it has one, else at the pooled
// rate of the kinds of its family (the part of its name before the first space).
class JudgeProgress {
 public:
  JudgeProgress(std::string command, bool quiet);
  void plan(const std::string& kind, double bytes);
  // Records finished work and prints "<command>: <what> (N.N s); step k/n, ETA ...".
  void done(const std::string& kind, double bytes, double seconds, const std::string& what);
  double elapsed() const;

 private:
  struct Work {
    double planned = 0, done = 0, seconds = 0;
  };
  std::string command_;
  bool quiet_;
  std::map<std::string, Work> work_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace zgen::cli
