#include "validate/proto/public_csv_importer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <regex>
#include <sstream>

#include "common/csv_reader.hpp"
#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "validate/proto/schema_version.hpp"

namespace llmsim::measurements {

namespace {

// One CSV row as text; numbers are parsed per metric so a malformed one names its column.
struct Row {
  std::string id, source, hardware, mem_bw_gbs_spec, model, params_b, dtype, batch, prompt_len, gen_len, software,
      backend, metric, value, unit, notes;
  std::string where;  // "file:line" for messages
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::optional<double> to_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    double value = std::stod(text, &used);
    if (used != text.size()) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

double required_number(const Row& row, const std::string& column, const std::string& text) {
  auto value = to_number(text);
  if (!value) throw InputError(row.where, fmt::format("column '{}' must be a number, got '{}'", column, text));
  return *value;
}

double optional_number(const Row& row, const std::string& column, const std::string& text) {
  return text.empty() ? 0.0 : required_number(row, column, text);
}

// A count (row id, batch, token count): a whole number that fits int64 with room to spare, since
// casting a double beyond int64 is undefined behaviour (fuzzing found a 60-digit row id).
std::int64_t whole_number(const std::string& where, const std::string& column, const std::string& text,
                          double largest = 1e15) {
  const auto value = to_number(text);
  if (!value || !std::isfinite(*value) || *value < 0 || *value > largest || *value != std::floor(*value)) {
    throw InputError(where, fmt::format("column '{}' must be a whole number from 0 to {:g}, got '{}'", column, largest,
                                        text));
  }
  return static_cast<std::int64_t>(*value);
}

// Batch and token counts within what a prediction simulates (predict's limits: a row with
// 10^15 generated tokens made `validate` run for ever).
std::int64_t optional_count(const Row& row, const std::string& column, const std::string& text, double largest) {
  return text.empty() ? 0 : whole_number(row.where, column, text, largest);
}

// "FP16" -> f16, "Q4_K_M (4.58 GiB file)" -> q4_k_m: llmsim's dtype names.
std::string normalised_dtype(const std::string& text) {
  std::string name = lower(text.substr(0, text.find(' ')));
  if (name == "fp16") return "f16";
  if (name == "fp32") return "f32";
  if (name == "fp64") return "f64";
  return name;
}

// "4.58 GiB file" inside the dtype column: the model file's size, when stated.
double file_bytes(const std::string& dtype_text) {
  static const std::regex size(R"(([0-9.]+)\s*GiB)");
  std::smatch match;
  if (!std::regex_search(dtype_text, match, size)) return 0;
  // "[0-9.]+" also matches "." and "1.2.3": no size then, rather than std::stod's exception.
  const auto gib = to_number(match[1].str());
  return gib ? *gib * 1073741824.0 : 0;
}

// A datasheet bandwidth may be a range ("1935-2039"): its midpoint.
double spec_bandwidth(const std::string& text) {
  static const std::regex range(R"(^\s*([0-9.]+)\s*(?:-\s*([0-9.]+))?\s*$)");
  std::smatch match;
  if (!std::regex_match(text, match, range)) return 0;
  const auto low = to_number(match[1].str());
  const auto high = match[2].matched ? to_number(match[2].str()) : low;
  if (!low || !high) return 0;  // "." or "1.2.3": not a bandwidth (std::stod threw here before)
  return 0.5 * (*low + *high);
}

std::string backend_name(const std::string& text) {
  const std::string t = lower(text);
  if (t.find("cuda") != std::string::npos || t.find("cublas") != std::string::npos) return "cuda";
  if (t.find("metal") != std::string::npos) return "metal";
  if (t.find("rocm") != std::string::npos || t.find("hip") != std::string::npos) return "rocm";
  if (t.find("vulkan") != std::string::npos) return "vulkan";
  if (t == "cpu") return "cpu";
  return "unknown";
}

std::string reliability(const std::string& notes) {
  static const std::regex grade(R"(\[rel:([A-Za-z][+-]?)\])");
  std::smatch match;
  return std::regex_search(notes, match, grade) ? match[1].str() : "";
}

void expect_unit(const Row& row, const std::string& expected) {
  if (lower(row.unit) != lower(expected)) {
    throw InputError(row.where, fmt::format("metric '{}' must be given in {}, got unit '{}'", row.metric, expected,
                                            row.unit));
  }
}

Measurement common(const Row& row) {
  Measurement m;
  m.set_schema_version(kSchemaVersion);
  m.set_id(fmt::format("imported:{}:{}", row.id, row.metric));
  m.set_dtype(normalised_dtype(row.dtype));
  m.set_compute_dtype(m.dtype());
  m.mutable_timing()->set_timer("reported");
  auto* exec = m.mutable_execution();
  exec->set_backend(backend_name(row.backend));
  exec->set_implementation(row.backend);
  exec->set_software(row.software);
  auto* device = m.mutable_device();
  device->set_name(row.hardware);
  device->set_kind(lower(row.hardware).find("igpu") != std::string::npos ? "igpu" : "gpu");
  device->set_memory_bandwidth_spec_gbs(spec_bandwidth(row.mem_bw_gbs_spec));
  auto* prov = m.mutable_provenance();
  prov->set_origin(ORIGIN_IMPORTED);
  prov->set_source(row.source);
  prov->set_source_row(row.id);
  prov->set_reported_metric(row.metric);
  const double value = required_number(row, "value", row.value);
  // Times are derived as work / value: a rate of 0, below 0 or inf would make them meaningless.
  if (!(value > 0) || !std::isfinite(value)) {
    throw InputError(row.where, fmt::format("column 'value' must be a positive rate, got '{}'", row.value));
  }
  prov->set_reported_value(value);
  prov->set_reported_unit(row.unit);
  prov->set_reliability(reliability(row.notes));
  prov->set_notes(row.notes);
  m.set_name(fmt::format("{} {} on {}", row.metric, row.model, row.hardware));
  return m;
}

void set_median(Measurement& m, double seconds) {
  m.mutable_timing()->set_median_s(seconds);
  m.mutable_timing()->set_min_s(seconds);
  m.mutable_timing()->set_mean_s(seconds);
  m.mutable_timing()->set_p90_s(seconds);
  m.mutable_timing()->set_max_s(seconds);
}

Measurement gemm(const Row& row, bool best_of_sizes) {
  expect_unit(row, "TFLOPS");
  Measurement m = common(row);
  m.set_kernel(KERNEL_CLASS_GEMM);
  const double tflops = m.provenance().reported_value();
  m.mutable_rates()->set_gflops_per_s(tflops * 1e3);
  static const std::regex square(R"(M=N=K=([0-9]+))");
  std::smatch match;
  // A size beyond 1e6 (or beyond int64, where std::stoll threw) is no GEMM anyone timed: no shape then.
  const auto size = std::regex_search(row.model, match, square) ? to_number(match[1].str()) : std::nullopt;
  if (!best_of_sizes && size && *size >= 1 && *size <= 1e6) {
    const auto n = static_cast<std::int64_t>(*size);
    const double bytes_per = m.dtype() == "f32" ? 4.0 : (m.dtype() == "fp8" ? 1.0 : 2.0);
    auto* shape = m.mutable_shape();
    shape->set_m(n);
    shape->set_n(n);
    shape->set_k(n);
    const double nd = static_cast<double>(n);
    m.mutable_work()->set_flops(2.0 * nd * nd * nd);
    m.mutable_work()->set_bytes_read(2.0 * nd * nd * bytes_per);
    m.mutable_work()->set_bytes_written(nd * nd * bytes_per);
    m.mutable_work()->set_bytes_moved(3.0 * nd * nd * bytes_per);
    set_median(m, m.work().flops() / (tflops * 1e12));
    m.mutable_rates()->set_gbytes_per_s(m.work().bytes_moved() / m.timing().median_s() / 1e9);
  }
  // "best of" rows state no single shape: the rate is kept, the time and shape stay 0.
  return m;
}

Measurement copy(const Row& row) {
  expect_unit(row, "GB/s");
  Measurement m = common(row);
  m.set_kernel(KERNEL_CLASS_COPY);
  const double gbs = m.provenance().reported_value();
  m.mutable_rates()->set_gbytes_per_s(gbs);
  // The notes state the tensor size as "2^26.5 fp32 elems": both tensors are counted.
  static const std::regex elems(R"(2\^([0-9.]+)\s*fp32 elems)");
  std::smatch match;
  const auto log2_elements = std::regex_search(row.notes, match, elems) ? to_number(match[1].str()) : std::nullopt;
  if (log2_elements && *log2_elements <= 40) {  // "2^." threw in std::stod; 2^1e9 overflowed int64
    const double elements = std::round(std::pow(2.0, *log2_elements));
    const double tensor = elements * 4.0;
    m.mutable_shape()->set_elements(static_cast<std::int64_t>(elements));
    m.mutable_shape()->set_bytes(static_cast<std::int64_t>(2 * tensor));
    m.mutable_work()->set_bytes_read(tensor);
    m.mutable_work()->set_bytes_written(tensor);
    m.mutable_work()->set_bytes_moved(2 * tensor);
    set_median(m, 2 * tensor / (gbs * 1e9));
  }
  return m;
}

Measurement step(const Row& row, bool decode) {
  expect_unit(row, "tokens/s");
  Measurement m = common(row);
  m.set_kernel(decode ? KERNEL_CLASS_DECODE_STEP : KERNEL_CLASS_PREFILL_STEP);
  const double tokens_per_s = m.provenance().reported_value();
  const std::int64_t batch = std::max<std::int64_t>(1, optional_count(row, "batch", row.batch, 1e5));
  const std::int64_t prompt = optional_count(row, "prompt_len", row.prompt_len, 1e7);
  const std::int64_t gen = optional_count(row, "gen_len", row.gen_len, 1e7);
  auto* model = m.mutable_model();
  model->set_model(row.model);
  model->set_params_b(optional_number(row, "params_b", row.params_b));
  model->set_batch(batch);
  model->set_prompt_tokens(prompt);
  model->set_generated_tokens(gen);
  model->set_new_tokens(decode ? 1 : prompt);
  model->set_weight_format(m.dtype());
  model->set_weight_file_bytes(file_bytes(row.dtype));
  m.mutable_shape()->set_batch(batch);
  m.mutable_rates()->set_tokens_per_s(tokens_per_s);
  // Decode: seconds per step (batch tokens), averaged over the generated tokens.
  // Prefill: seconds for the whole prompt of every sequence.
  const double sequences = static_cast<double>(batch);
  set_median(m, decode ? sequences / tokens_per_s : sequences * static_cast<double>(prompt) / tokens_per_s);
  return m;
}

}  // namespace

RowRange parse_row_range(const std::string& text, const std::string& flag) {
  static const std::regex range(R"(^\s*([0-9]+)\s*(?:-\s*([0-9]+))?\s*$)");
  std::smatch match;
  if (!std::regex_match(text, match, range)) {
    throw InputError(flag, fmt::format("expected a row id or a range like 113-130, got '{}'", text));
  }
  const auto first = to_number(match[1].str());
  const auto last = match[2].matched ? to_number(match[2].str()) : first;
  if (!first || !last || *first > 1e15 || *last > 1e15) {
    throw InputError(flag, fmt::format("row id in '{}' is too large", text));
  }
  RowRange r{static_cast<std::int64_t>(*first), static_cast<std::int64_t>(*last)};
  if (r.last < r.first) throw InputError(flag, fmt::format("range '{}' ends before it starts", text));
  return r;
}

PublicCsvImporter::PublicCsvImporter(std::vector<RowRange> ranges) : ranges_(std::move(ranges)) {}

std::vector<std::string> PublicCsvImporter::known_metrics() {
  return {"gemm_throughput", "gemm_throughput_max", "copy_bandwidth", "decode_throughput", "prefill_throughput"};
}

bool PublicCsvImporter::selected(std::int64_t id) const {
  if (ranges_.empty()) return true;
  return std::any_of(ranges_.begin(), ranges_.end(), [id](const RowRange& r) { return r.contains(id); });
}

ImportResult PublicCsvImporter::import_file(const std::string& path) const {
  ImportResult result;
  // Through the input layer: regular files only, size-limited, byte-order mark dropped.
  CsvReader csv(path, read_input_file(path, kMaxTableBytes));
  CsvRecord record;
  if (!csv.next(record)) throw InputError(path, "not a public-measurements CSV: the file is empty");
  const CsvHeader header(record, path);
  // Every column is needed; further columns (a spreadsheet's own) are ignored.
  std::vector<std::size_t> at;
  for (const char* name : {"id", "source", "hardware", "mem_bw_gbs_spec", "model", "params_b", "dtype", "batch",
                           "prompt_len", "gen_len", "software", "backend", "metric", "value", "unit", "notes"}) {
    at.push_back(header.require(name));
  }
  std::map<std::int64_t, int> first_line;  // an id names one measurement: a repeat is a copy-paste slip
  while (csv.next(record)) {
    header.check_width(record);
    const auto& c = record.cells;
    Row row{c[at[0]], c[at[1]], c[at[2]],  c[at[3]],  c[at[4]],  c[at[5]],  c[at[6]],  c[at[7]],
            c[at[8]], c[at[9]], c[at[10]], c[at[11]], c[at[12]], c[at[13]], c[at[14]], c[at[15]],
            fmt::format("{}:{}", path, record.line)};
    const auto id = whole_number(row.where, "id", row.id);
    if (const auto [it, fresh] = first_line.emplace(id, record.line); !fresh) {
      throw InputError(row.where, fmt::format("id {} repeats the row at line {}", id, it->second));
    }
    if (!selected(id)) continue;
    if (row.metric == "gemm_throughput" || row.metric == "gemm_throughput_max") {
      result.records.push_back(gemm(row, row.metric == "gemm_throughput_max"));
    } else if (row.metric == "copy_bandwidth") {
      result.records.push_back(copy(row));
    } else if (row.metric == "decode_throughput" || row.metric == "prefill_throughput") {
      result.records.push_back(step(row, row.metric == "decode_throughput"));
    } else {
      result.skipped.push_back(fmt::format("row {}: metric '{}' is not one this importer knows", row.id, row.metric));
    }
  }
  return result;
}

}  // namespace llmsim::measurements
