#include "validate/corpus/corpus_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "common/csv_reader.hpp"
#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "validate/corpus/corpus_text.hpp"

namespace llmsim::validate {

namespace {

// The columns a corpus file may have (validate/data/corpus/README.md); a missing one is empty.
const std::vector<std::string> kColumns = {"id",         "source",   "hardware", "mem_bw_gbs_spec", "model",  "params_b",
                                           "dtype",      "batch",    "prompt_len", "gen_len",       "software", "backend",
                                           "metric",     "value",    "unit",     "notes"};

using corpus_text::lower;
using corpus_text::number;
using corpus_text::trim;

// Counts must be whole numbers that fit an int64 with room to spare (a cast of a larger
// double is undefined behaviour).
std::int64_t whole(const std::string& where, const std::string& column, const std::string& text,
                   double largest = 1e15) {
  const auto v = number(text);
  if (!v || !std::isfinite(*v) || *v < 0 || *v > largest || *v != std::floor(*v)) {
    throw InputError(where, fmt::format("column '{}' must be a whole number from 0 to {:g}, got '{}'", column, largest,
                                        text));
  }
  return static_cast<std::int64_t>(*v);
}

// Batch and token counts within what a prediction simulates (a row of 10^15 tokens would
// make the validation run for ever).
std::optional<std::int64_t> optional_whole(const std::string& where, const std::string& column,
                                           const std::string& text, double largest) {
  if (text.empty()) return std::nullopt;
  return whole(where, column, text, largest);
}

// "CUDA; ngl=99; fa=1" -> name "cuda", flags {ngl: 99, fa: 1}.
void split_backend(CorpusRow& row) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= row.backend.size(); ++i) {
    if (i == row.backend.size() || row.backend[i] == ';') {
      parts.push_back(trim(row.backend.substr(start, i - start)));
      start = i + 1;
    }
  }
  row.backend_name = parts.empty() ? "" : lower(parts.front());
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto eq = parts[i].find('=');
    if (eq == std::string::npos) continue;  // free text after the backend ("cuBLAS via torch.mm")
    row.flags[lower(trim(parts[i].substr(0, eq)))] = trim(parts[i].substr(eq + 1));
  }
}

void check(CorpusRow& row, const ReservedSources& reserved) {
  const auto where = row.where();
  if (row.source.empty()) throw InputError(where, "column 'source' is empty: every row names where it was published");
  if (const auto hit = reserved.match(row.source); !hit.empty()) {
    throw InputError(where, fmt::format("source '{}' is reserved for independent validation ({}); the corpus may not "
                                        "use it",
                                        row.source, hit));
  }
  if (row.hardware.empty()) throw InputError(where, "column 'hardware' is empty");
  if (row.model.empty() && row.metric.find("gemm") == std::string::npos && row.metric != "copy_bandwidth") {
    throw InputError(where, "column 'model' is empty");
  }
  const auto& units = CorpusReader::metric_units();
  const auto m = std::find_if(units.begin(), units.end(), [&](const auto& u) { return u.first == row.metric; });
  if (m == units.end()) {
    std::string known;
    for (const auto& u : units) known += (known.empty() ? "" : ", ") + u.first;
    throw InputError(where, fmt::format("unknown metric '{}'; known metrics: {}", row.metric, known));
  }
  if (lower(row.unit) != lower(m->second)) {
    throw InputError(where, fmt::format("metric '{}' must be given in {}, got unit '{}'", row.metric, m->second,
                                        row.unit));
  }
  static const std::regex grade(R"(\[rel:([A-Ca-c][+-]?)\])");
  std::smatch g;
  if (!std::regex_search(row.notes, g, grade)) {
    throw InputError(where, "column 'notes' has no reliability grade ([rel:A], [rel:B] or [rel:C])");
  }
  row.grade = lower(g[1].str());
  split_backend(row);
}

}  // namespace

std::string CorpusRow::source_key() const {
  std::string s = lower(source.substr(0, source.find(' ')));
  for (const char* prefix : {"https://", "http://", "www."})
    if (s.rfind(prefix, 0) == 0) s = s.substr(std::string(prefix).size());
  if (s.rfind("github.com/ggerganov/", 0) == 0) s = "github.com/ggml-org/" + s.substr(21);
  while (!s.empty() && (s.back() == '/' || s.back() == ',')) s.pop_back();
  return s;
}

const std::vector<std::pair<std::string, std::string>>& CorpusReader::metric_units() {
  static const std::vector<std::pair<std::string, std::string>> units = {
      {"prefill_throughput", "tokens/s"}, {"decode_throughput", "tokens/s"},   {"output_throughput", "tokens/s"},
      {"total_throughput", "tokens/s"},   {"request_throughput", "req/s"},     {"ttft_mean", "ms"},
      {"ttft_median", "ms"},              {"ttft_p99", "ms"},                  {"tpot_mean", "ms"},
      {"tpot_median", "ms"},              {"itl_mean", "ms"},                  {"e2e_latency", "s"},
      {"training_throughput", "tokens/s/gpu"}, {"mfu", "%"},                   {"gemm_throughput", "TFLOPS"},
      {"gemm_throughput_max", "TFLOPS"},  {"copy_bandwidth", "GB/s"}};
  return units;
}

std::vector<CorpusRow> CorpusReader::read_file(const std::string& path) const {
  // Through the input layer: regular files only (a FIFO would block), size-limited, BOM dropped.
  CsvReader csv(path, read_input_file(path, kMaxTableBytes));
  CsvRecord record;
  if (!csv.next(record)) throw InputError(path, "not a corpus CSV (validate/data/corpus/README.md): the file is empty");
  const CsvHeader header(record, path);
  for (const auto& name : header.names()) {
    if (std::find(kColumns.begin(), kColumns.end(), name) == kColumns.end()) {
      throw InputError(fmt::format("{}:{}", path, record.line),
                       fmt::format("column '{}' is not a corpus column (validate/data/corpus/README.md)", name));
    }
  }
  std::vector<CorpusRow> rows;
  std::map<std::int64_t, int> seen;
  while (csv.next(record)) {
    header.check_width(record);
    auto cell = [&](const std::string& name) { return header.cell(record, name); };
    CorpusRow row;
    row.file = path;
    row.line = record.line;
    const auto where = row.where();
    row.id = whole(where, "id", cell("id"));
    if (auto [it, fresh] = seen.emplace(row.id, row.line); !fresh) {
      throw InputError(where, fmt::format("id {} is used again (first at line {})", row.id, it->second));
    }
    row.source = cell("source");
    row.hardware = cell("hardware");
    row.mem_bw_gbs_spec = cell("mem_bw_gbs_spec");
    row.model = cell("model");
    row.params_b = cell("params_b");
    row.dtype = cell("dtype");
    row.software = cell("software");
    row.backend = cell("backend");
    row.metric = cell("metric");
    row.unit = cell("unit");
    row.notes = cell("notes");
    row.batch = optional_whole(where, "batch", cell("batch"), 1e5);
    row.prompt_len = optional_whole(where, "prompt_len", cell("prompt_len"), 1e7);
    row.gen_len = optional_whole(where, "gen_len", cell("gen_len"), 1e7);
    const auto& value = cell("value");
    const auto v = number(value);
    if (!v || !std::isfinite(*v) || *v <= 0 || *v > 1e15) {
      throw InputError(where, fmt::format("column 'value' must be a finite number above 0, got '{}'", value));
    }
    row.value = *v;
    check(row, reserved_);
    rows.push_back(row);
  }
  return rows;
}

std::vector<CorpusRow> CorpusReader::read_dir(const std::string& dir) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir, "is not a directory of corpus CSV files");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".csv") files.push_back(e.path().string());
  if (files.empty()) throw InputError(dir, "holds no *.csv corpus files");
  std::sort(files.begin(), files.end());
  std::vector<CorpusRow> all;
  std::map<std::int64_t, std::string> ids;
  for (const auto& f : files) {
    for (auto& r : read_file(f)) {
      if (auto [it, fresh] = ids.emplace(r.id, r.where()); !fresh) {
        throw InputError(r.where(), fmt::format("id {} is used again (first at {})", r.id, it->second));
      }
      all.push_back(std::move(r));
    }
  }
  return all;
}

}  // namespace llmsim::validate
