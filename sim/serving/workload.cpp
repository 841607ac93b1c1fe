#include "sim/serving/workload.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "common/csv_reader.hpp"
#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "sim/serving/dataset.hpp"
#include "sim/serving/seeded_draw.hpp"

namespace llmsim::sim::serving {

namespace {

int64_t draw_length(SeededDraw& d, const LengthSpec& s, double mean, int64_t max) {
  if (s.distribution == "fixed") return static_cast<int64_t>(std::llround(mean));
  if (s.distribution == "uniform") {
    const int64_t low = std::max<int64_t>(1, std::llround(mean * (1 - s.range_ratio)));
    const int64_t high = std::max(low, static_cast<int64_t>(std::llround(mean * (1 + s.range_ratio))));
    return low + static_cast<int64_t>(d.below(static_cast<uint64_t>(high - low + 1)));
  }
  const double v = d.lognormal(mean, s.sigma);
  return std::clamp<int64_t>(static_cast<int64_t>(std::llround(v)), 1, max);
}

void check(const WorkloadSpec& s) {
  if (!(s.rate > 0)) throw InputError("rate", fmt::format("must be positive (or inf), got {}", s.rate));
  if (s.requests < 1 || s.requests > 10'000'000) {
    throw InputError("requests", fmt::format("must be between 1 and 10000000, got {}", s.requests));
  }
  const auto& l = s.lengths;
  if (l.distribution != "sharegpt" && l.distribution != "fixed" && l.distribution != "lognormal" &&
      l.distribution != "uniform") {
    throw InputError("lengths.distribution", "must be sharegpt, lognormal, uniform or fixed");
  }
  if (!(l.range_ratio >= 0 && l.range_ratio <= 1)) {
    throw InputError("lengths.range_ratio", fmt::format("must be from 0 to 1, got {}", l.range_ratio));
  }
  if (!(l.prompt_mean >= 1) || !(l.output_mean >= 1)) throw InputError("lengths", "means must be at least 1 token");
  if (s.burst_size < 1) throw InputError("burst_size", "must be at least 1");
  if (s.max_concurrency < 0) throw InputError("max_concurrency", "must be 0 (no limit) or more");
  if (!(s.chars_per_token > 0) || !std::isfinite(s.chars_per_token)) {
    throw InputError("chars_per_token", "must be a positive number");
  }
}

}  // namespace

std::string to_string(ArrivalProcess arrival) {
  switch (arrival) {
    case ArrivalProcess::poisson: return "poisson";
    case ArrivalProcess::bursts: return "bursts";
    case ArrivalProcess::trace: return "trace";
  }
  return "poisson";
}

std::optional<ArrivalProcess> arrival_named(const std::string& name) {
  for (ArrivalProcess a : {ArrivalProcess::poisson, ArrivalProcess::bursts, ArrivalProcess::trace})
    if (to_string(a) == name) return a;
  return std::nullopt;
}

std::vector<Request> make_requests(const WorkloadSpec& spec) {
  if (spec.arrival == ArrivalProcess::trace) return read_request_trace(spec.trace_file);
  check(spec);
  SeededDraw d(spec.seed);
  std::vector<LengthPair> sampled;
  if (!spec.dataset.empty()) {
    DatasetOptions options;
    options.chars_per_token = spec.chars_per_token;
    sampled = sample_pairs(read_sharegpt(spec.dataset, options), static_cast<std::size_t>(spec.requests), spec.seed);
  }
  std::vector<Request> out;
  double t = 0;
  const bool all_at_once = std::isinf(spec.rate);
  const int64_t burst = spec.arrival == ArrivalProcess::bursts ? spec.burst_size : 1;
  while (static_cast<int64_t>(out.size()) < spec.requests) {
    if (!all_at_once) t += d.exponential(spec.rate / static_cast<double>(burst));
    for (int64_t i = 0; i < burst && static_cast<int64_t>(out.size()) < spec.requests; ++i) {
      Request r;
      r.id = static_cast<int64_t>(out.size());
      r.arrival_s = t;
      if (sampled.empty()) {
        r.prompt_tokens = draw_length(d, spec.lengths, spec.lengths.prompt_mean, spec.lengths.prompt_max);
        r.output_tokens = draw_length(d, spec.lengths, spec.lengths.output_mean, spec.lengths.output_max);
      } else {
        r.prompt_tokens = sampled[out.size()].prompt_tokens;
        r.output_tokens = sampled[out.size()].output_tokens;
      }
      out.push_back(r);
    }
  }
  return out;
}

namespace {

// The same bound as a scenario's prompt and gen: a trace row asking for more is a typo, and
// would make the simulator size KV caches and step graphs for it.
constexpr long long kMaxTraceTokens = 10'000'000;
constexpr long long kMaxTraceRequests = 10'000'000;  // as a scenario's workload.requests

int64_t positive_count(const std::string& text, const std::string& where, const std::string& column) {
  try {
    std::size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used == text.size() && v >= 1 && v <= kMaxTraceTokens) return v;
  } catch (const std::exception&) {
  }
  throw InputError(where, fmt::format("'{}' must be a whole number from 1 to {}, got '{}'", column, kMaxTraceTokens,
                                      text));
}

double arrival_time(const std::string& text, const std::string& where) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && v >= 0 && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw InputError(where, fmt::format("'arrival_s' must be a time >= 0 in seconds, got '{}'", text));
}

}  // namespace

namespace {

void check_room(const std::vector<Request>& out, const std::string& where) {
  if (out.size() >= static_cast<std::size_t>(kMaxTraceRequests)) {
    throw InputError(where, fmt::format("more than {} requests: the limit of a serving run", kMaxTraceRequests));
  }
}

/// One JSON object per line: {"arrival_s": .., "prompt_tokens": .., "output_tokens": ..}.
std::vector<Request> read_jsonl_trace(const std::string& path, const std::string& text) {
  std::istringstream in(text);
  std::vector<Request> out;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string where = fmt::format("{}:{}", path, number);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    check_room(out, where);
    nlohmann::json j;
    refuse_deep_json(line, where);
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for 1E400
      throw InputError(where, std::string("malformed JSON: ") + e.what());
    }
    for (const char* key : {"arrival_s", "prompt_tokens", "output_tokens"}) {
      if (!j.contains(key)) throw InputError(where, fmt::format("missing '{}'", key));
    }
    Request r;
    r.arrival_s = arrival_time(j["arrival_s"].dump(), where);
    r.prompt_tokens = positive_count(j["prompt_tokens"].dump(), where, "prompt_tokens");
    r.output_tokens = positive_count(j["output_tokens"].dump(), where, "output_tokens");
    out.push_back(r);
  }
  return out;
}

/// A CSV table with the columns arrival_s, prompt_tokens, output_tokens (others are ignored).
std::vector<Request> read_csv_trace(const std::string& path, std::string text) {
  CsvReader csv(path, std::move(text));
  CsvRecord record;
  std::vector<Request> out;
  if (!csv.next(record)) return out;
  const CsvHeader header(record, path);
  const auto arrival = header.require("arrival_s");
  const auto prompt = header.require("prompt_tokens");
  const auto output = header.require("output_tokens");
  while (csv.next(record)) {
    const std::string where = fmt::format("{}:{}", path, record.line);
    check_room(out, where);
    header.check_width(record);
    Request r;
    r.arrival_s = arrival_time(record.cells[arrival], where);
    r.prompt_tokens = positive_count(record.cells[prompt], where, "prompt_tokens");
    r.output_tokens = positive_count(record.cells[output], where, "output_tokens");
    out.push_back(r);
  }
  return out;
}

}  // namespace

std::vector<Request> read_request_trace(const std::string& path) {
  auto text = read_input_file(path, kMaxTableBytes);
  const bool jsonl = path.ends_with(".jsonl") || path.ends_with(".json");
  auto out = jsonl ? read_jsonl_trace(path, text) : read_csv_trace(path, std::move(text));
  if (out.empty()) throw InputError(path, "the trace has no requests");
  std::stable_sort(out.begin(), out.end(), [](const Request& a, const Request& b) { return a.arrival_s < b.arrival_s; });
  for (std::size_t i = 0; i < out.size(); ++i) out[i].id = static_cast<int64_t>(i);
  return out;
}

}  // namespace llmsim::sim::serving
