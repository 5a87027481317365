#include "src/cli/judge_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

namespace zgen::cli {
namespace {

struct Column {
  const char* key;
  const char* title;
  double Verdict::*field;
  bool percent;
};

constexpr Column kColumns[] = {
    {"bits_per_byte", "judge bits/byte", &Verdict::bits_per_byte, false},
    {"order_gain", "order gain", &Verdict::order_gain, false},
    {"copy_rate", "copy rate", &Verdict::copy_rate, true},
    {"self_repetition", "self-repetition", &Verdict::self_repetition, true},
    {"shuffled_bits_per_byte", "shuffled bits/byte", &Verdict::shuffled_bits_per_byte, false},
};
constexpr std::size_t kTableColumns = 4;  // the shuffled bits/byte is in the JSON only

Spread column_spread(const JudgedRow& row, double Verdict::*field) {
  std::vector<double> values;
  for (const auto& t : row.texts) values.push_back(t.verdict.*field);
  return spread(values);
}

std::string cell(const Spread& s, bool percent) {
  const double k = percent ? 100 : 1;
  char buf[128];
  const char* fmt = percent ? "%.1f%%" : "%.2f";
  char mean[32], lo[32], hi[32];
  std::snprintf(mean, sizeof mean, fmt, k * s.mean);
  if (s.n < 2) return mean;
  std::snprintf(lo, sizeof lo, percent ? "%.1f" : "%.2f", k * s.min);
  std::snprintf(hi, sizeof hi, percent ? "%.1f" : "%.2f", k * s.max);
  std::snprintf(buf, sizeof buf, "%s (%s–%s)", mean, lo, hi);
  return buf;
}

std::string duration(double s) {
  char buf[48];
  if (s < 90) std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 5400) std::snprintf(buf, sizeof buf, "%.0f min %02.0f s", std::floor(s / 60), std::fmod(s, 60));
  else std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  return buf;
}

}  // namespace

std::string printable(ByteView b) {
  std::string s;
  for (auto c : b) {
    if (c == '\n') s += "\\n";
    else if (c == '\t') s += "\\t";
    else if (c < 0x20 || c == 0x7f) { char buf[8]; std::snprintf(buf, sizeof buf, "\\x%02x", c); s += buf; }
    else s += static_cast<char>(c);
  }
  return s;
}

nlohmann::json row_json(const JudgedRow& row, bool with_texts) {
  nlohmann::json j = {{"label", row.label}, {"reference", row.reference}, {"n", row.texts.size()}};
  for (const auto& c : kColumns) {
    const Spread s = column_spread(row, c.field);
    j[c.key] = {{"mean", s.mean}, {"stdev", s.stdev}, {"min", s.min}, {"max", s.max}};
  }
  if (with_texts) {
    nlohmann::json texts = nlohmann::json::array();
    for (const auto& t : row.texts) {
      nlohmann::json e;
      if (row.reference) e["offset"] = t.offset;
      else e["seed"] = t.seed;
      e["text"] = as_string(t.text);
      for (const auto& c : kColumns) e[c.key] = t.verdict.*(c.field);
      texts.push_back(e);
    }
    j["texts"] = texts;
  }
  return j;
}

void print_judge_table(std::FILE* out, const std::vector<JudgedRow>& rows) {
  // Cells padded to their column's width in characters (UTF-8 continuation bytes take none).
  auto width = [](const std::string& s) {
    std::size_t w = 0;
    for (unsigned char c : s) w += (c & 0xC0) != 0x80;
    return w;
  };
  std::vector<std::vector<std::string>> cells(rows.size() + 1);
  cells[0].push_back("generator");
  for (std::size_t c = 0; c < kTableColumns; ++c) cells[0].push_back(kColumns[c].title);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    cells[r + 1].push_back(rows[r].label);
    for (std::size_t c = 0; c < kTableColumns; ++c)
      cells[r + 1].push_back(cell(column_spread(rows[r], kColumns[c].field), kColumns[c].percent));
  }
  std::vector<std::size_t> widths(kTableColumns + 1, 0);
  for (const auto& line : cells)
    for (std::size_t c = 0; c < line.size(); ++c) widths[c] = std::max(widths[c], width(line[c]));
  for (std::size_t r = 0; r < cells.size(); ++r) {
    std::string line = "|";
    for (std::size_t c = 0; c < cells[r].size(); ++c) {
      const std::string pad(widths[c] - width(cells[r][c]), ' ');
      line += ' ';
      if (c == 0) line.append(cells[r][c]).append(pad);  // labels left-aligned, numbers right-aligned
      else line.append(pad).append(cells[r][c]);
      line += " |";
    }
    std::fprintf(out, "%s\n", line.c_str());
    if (r == 0) {
      std::string rule = "|";
      for (std::size_t c = 0; c < widths.size(); ++c) rule.append(widths[c] + 1, '-').append(c == 0 ? "-|" : ":|");
      std::fprintf(out, "%s\n", rule.c_str());
    }
  }
}

JudgeProgress::JudgeProgress(std::string command, bool quiet)
    : command_(std::move(command)), quiet_(quiet), start_(std::chrono::steady_clock::now()) {}

double JudgeProgress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void JudgeProgress::plan(const std::string& kind, double bytes) { work_[kind].planned += bytes; }

void JudgeProgress::done(const std::string& kind, double bytes, double seconds, const std::string& what) {
  Work& w = work_[kind];
  w.done += bytes;
  w.seconds += seconds;
  if (quiet_) return;
  auto family = [](const std::string& k) { return k.substr(0, k.find(' ')); };
  double eta = 0;
  bool unknown = false;
  for (const auto& [k, v] : work_) {
    const double left = v.planned - v.done;
    if (left <= 0) continue;
    double rate = v.seconds > 0 ? v.done / v.seconds : 0;
    if (rate <= 0) {  // nothing of this kind timed yet: its family's pooled rate
      double b = 0, s = 0;
      for (const auto& [k2, v2] : work_)
        if (family(k2) == family(k)) b += v2.done, s += v2.seconds;
      rate = s > 0 ? b / s : 0;
    }
    if (rate > 0) eta += left / rate;
    else unknown = true;
  }
  const double spent = elapsed();
  std::fprintf(stderr, "%s: %s (%.1f s); %s%s\n", command_.c_str(), what.c_str(), seconds,
               eta > 0 || unknown ? (unknown ? "ETA more than " : "ETA ") : "done in ",
               duration(eta > 0 || unknown ? eta : spent).c_str());
  std::fflush(stderr);
}

}  // namespace zgen::cli
