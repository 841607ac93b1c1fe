#include "validate/serving/serving_rows.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>
#include <set>

#include "validate/corpus/corpus_text.hpp"

namespace llmsim::validate {

namespace {

// A run is simulated with at most this many requests: enough for the steady state of the
// concurrencies the corpus has, and a bounded time per run.
constexpr int64_t kMaxRequests = 6000;
constexpr int64_t kDefaultPrompts = 1000;  // vLLM's and SGLang's benchmark default num_prompts

std::string metric_class(const std::string& metric) {
  if (metric.find("throughput") != std::string::npos) return "throughput";
  if (metric.rfind("ttft", 0) == 0) return "ttft";
  if (metric.rfind("tpot", 0) == 0 || metric == "itl_mean") return "tpot";
  return "e2e";
}

std::optional<long long> count_flag(const CorpusRow& row, const char* key) {
  auto it = row.flags.find(key);
  if (it == row.flags.end()) return std::nullopt;
  return corpus_text::positive_count(it->second);
}

MappedServingRow refuse(const std::string& kind, const std::string& why) {
  MappedServingRow out;
  out.why_kind = kind;
  out.why_not = why;
  return out;
}

// "8x NVIDIA H100 ..." -> (8, "NVIDIA H100 ..."); a name without a count is one device.
std::pair<long long, std::string> device_count(const std::string& hardware) {
  static const std::regex counted(R"(^\s*([0-9]+)\s?x\s+(.*)$)", std::regex::icase);
  std::smatch m;
  if (std::regex_match(hardware, m, counted)) return {std::stoll(m[1]), m[2]};
  return {1, hardware};
}

// The load: the stated rate (else all at once), a concurrency limit, else the batch column
// (an offline batch of that many prompts, as llm.generate runs it).
std::optional<MappedServingRow> read_load(const CorpusRow& row, sim::serving::WorkloadSpec& w) {
  w.rate = std::numeric_limits<double>::infinity();
  if (auto r = row.flags.find("rate"); r != row.flags.end() && r->second != "inf") {
    try {
      w.rate = std::stod(r->second);
    } catch (const std::exception&) {
      return refuse("load not stated", fmt::format("rate '{}' is not a number", r->second));
    }
  }
  auto concurrency = count_flag(row, "concurrency");
  auto prompts = count_flag(row, "num_prompts");
  if (!prompts) prompts = count_flag(row, "num_requests");
  if (!concurrency && !row.flags.count("rate") && row.batch && *row.batch > 0) {
    concurrency = *row.batch;
    if (!prompts) prompts = *row.batch;
  }
  if (concurrency) w.max_concurrency = *concurrency;
  w.requests = std::min<int64_t>(prompts.value_or(std::max<int64_t>(kDefaultPrompts, 4 * w.max_concurrency)),
                                 kMaxRequests);
  return std::nullopt;
}

// ShareGPT rows: its length distribution with the row's means; others: the stated lengths.
// The benchmark tools' random dataset with a stated range ratio r (`random_range_ratio=r`) and
// lengths L (`random_input_len`, `random_output_len`; else the row's): `vllm bench serve` draws
// uniform in [L(1 - r), L(1 + r)]; SGLang's bench_serving (and vLLM's benchmark_serving.py of
// 2024) in [max(1, L r), L], so its default 0 (taken where an SGLang row states L but no ratio)
// means uniform in [1, L]. Both are one uniform spread about a centre, which LengthSpec holds.
void read_range(const CorpusRow& row, bool sglang_bench, sim::serving::LengthSpec& l) {
  const auto it = row.flags.find("random_range_ratio");
  if (it == row.flags.end() && !(sglang_bench && row.flags.count("random_input_len"))) return;
  double r = 0;
  try {
    if (it != row.flags.end()) r = std::stod(it->second);
  } catch (const std::exception&) {
    return;
  }
  if (!(r >= 0 && r <= 1)) return;
  auto spread = [&](const char* key, double mean) {
    const double length = static_cast<double>(count_flag(row, key).value_or(std::llround(mean)));
    if (!sglang_bench) return std::pair{length, r};
    const double low = std::max(1.0, length * r);
    return std::pair{(low + length) / 2, (length - low) / (length + low)};
  };
  const auto [prompt, prompt_r] = spread("random_input_len", l.prompt_mean);
  const auto [output, output_r] = spread("random_output_len", l.output_mean);
  if (prompt_r <= 0 && output_r <= 0) return;
  // One ratio for both: the tools draw both lengths with it; with SGLang's [1, L] it is the same.
  l.distribution = "uniform";
  l.prompt_mean = prompt;
  l.output_mean = output;
  l.range_ratio = std::max(prompt_r, output_r);
}

std::optional<MappedServingRow> read_lengths(const CorpusRow& row, bool sglang_bench, sim::serving::LengthSpec& l) {
  const auto dataset = row.flags.count("dataset") ? corpus_text::lower(row.flags.at("dataset")) : std::string();
  if (dataset.find("sharegpt") != std::string::npos) {
    l.distribution = "sharegpt";
    if (row.prompt_len) l.prompt_mean = static_cast<double>(*row.prompt_len);
    if (row.gen_len) l.output_mean = static_cast<double>(*row.gen_len);
    return std::nullopt;
  }
  if (!row.prompt_len || !row.gen_len || *row.prompt_len <= 0 || *row.gen_len <= 0) {
    return refuse("lengths not stated", "input and output lengths are not both stated");
  }
  l.distribution = "fixed";
  l.prompt_mean = static_cast<double>(*row.prompt_len);
  l.output_mean = static_cast<double>(*row.gen_len);
  read_range(row, sglang_bench, l);
  return std::nullopt;
}

// Engine settings the row states: sequences and tokens per step, memory share, the longest
// sequence the server took.
void read_engine_limits(const CorpusRow& row, sim::serving::ServeConfig& c) {
  if (auto n = count_flag(row, "max_model_len"); n && *n > 0) c.max_model_len = *n;
  if (auto n = count_flag(row, "max_num_seqs").value_or(count_flag(row, "max_batch_size").value_or(0)); n > 0) {
    c.scheduler.max_batch = n;
    c.stated.insert("scheduler.max_batch");
  }
  if (auto n = count_flag(row, "max_num_tokens").value_or(count_flag(row, "max_num_batched_tokens").value_or(0)); n > 0) {
    c.scheduler.max_batched_tokens = n;
    c.stated.insert("scheduler.max_batched_tokens");
  }
  for (const char* key : {"gpu_memory_utilization", "mem_fraction_static"}) {
    if (auto it = row.flags.find(key); it != row.flags.end()) {
      try {
        const double v = std::stod(it->second);
        if (v > 0 && v <= 1) c.gpu_memory_utilization = v;
      } catch (const std::exception&) {
      }
    }
  }
}

}  // namespace

bool is_serving_metric(const std::string& metric) {
  static const std::set<std::string> metrics = {"output_throughput", "total_throughput", "request_throughput",
                                                "ttft_mean",         "ttft_median",      "ttft_p99",
                                                "tpot_mean",         "tpot_median",      "itl_mean",
                                                "e2e_latency"};
  return metrics.count(metric) > 0;
}

std::string metric_class_of_family(const std::string& family) { return family.substr(family.rfind(' ') + 1); }

MappedServingRow map_serving_row(const CorpusRow& row, const CorpusMapping& mapping) {
  if (row.flags.count("scenario")) return refuse("MLPerf scenario", "MLPerf Offline/Server rows: datasets not bundled");
  if (row.backend.find("benchmark_latency") != std::string::npos && !row.batch) {
    return refuse("load not stated", "benchmark_latency without its batch size");
  }
  for (const char* key : {"ep", "pp", "nodes", "spec", "attention_dp"}) {
    if (auto it = row.flags.find(key); it != row.flags.end() && it->second != "1" && it->second != "false" &&
                                       it->second != "0") {
      return refuse(std::string("parallelism ") + key, fmt::format("{}={} is not simulated in serving yet", key, it->second));
    }
  }
  const auto [devices, single_name] = device_count(row.hardware);
  const std::string single = mapping.hardware_id(single_name);
  if (single.empty()) return refuse("hardware not in catalog", fmt::format("hardware '{}' is not in the catalog", single_name));
  const long long tp = count_flag(row, "tp").value_or(1);
  const long long dp = count_flag(row, "dp").value_or(1);
  std::string hardware = single;
  if (tp * dp > 1 || devices > 1) {
    hardware = mapping.node_for(single);
    if (hardware.empty()) return refuse("no multi-GPU node", fmt::format("no catalog node holds several {}", single));
  }
  sim::serving::ServeConfig c;
  c.take_engine_defaults = true;
  c.hardware = hardware;
  c.model = mapping.model_id(row.model);
  if (c.model.empty()) return refuse("model not in workloads/models", fmt::format("model '{}' has no config", row.model));
  c.dtype = mapping.dtype_id(row.dtype);
  if (c.dtype.empty()) return refuse("weight format", fmt::format("weight format '{}' is not known", row.dtype));
  const std::string profile = mapping.profile_id(row.software, row.backend_name, row.hardware);
  if (profile.empty() || profile == "llama.cpp") {
    return refuse("serving engine", fmt::format("software '{}' has no serving profile", row.software));
  }
  // The release the row ran picks the profile's defaults for it (vLLM before 0.8: V0's).
  const std::string release = mapping.release_of(row.software);
  c.software = release.empty() ? profile : profile + "@" + release;
  const auto kv = row.flags.find("kv_cache_dtype");
  c.kv_dtype = kv != row.flags.end() && corpus_text::lower(kv->second).find("fp8") != std::string::npos ? "fp8" : "bf16";
  c.replica.tp = static_cast<int>(tp);
  c.replicas = static_cast<int>(dp);
  if (auto refused = read_load(row, c.workload)) return *refused;
  if (auto refused = read_lengths(row, profile == "sglang", c.workload.lengths)) return *refused;
  read_engine_limits(row, c);
  const auto& w = c.workload;
  MappedServingRow out;
  ServingCase s;
  s.key = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", row.source_key(), c.hardware, c.model, c.dtype, c.kv_dtype,
                      c.software, tp, dp, w.rate, w.max_concurrency, w.requests,
                      fmt::format("{}:{}:{}:{}:{}", w.lengths.distribution, w.lengths.prompt_mean, w.lengths.output_mean,
                                  c.scheduler.max_batch, c.gpu_memory_utilization));
  const std::string vendor = single.rfind("mi", 0) == 0 ? "amd" : "nvidia";
  s.family = fmt::format("{} / {} / {}", profile, vendor, metric_class(row.metric));
  s.config = std::move(c);
  out.serving = std::move(s);
  return out;
}

ServingFigures figures_of(const sim::serving::ServingMetrics& m, double input_tokens) {
  ServingFigures f;
  f.output_tokens_per_s = m.output_tokens_per_s;
  f.total_tokens_per_s = m.makespan_s > 0 ? m.output_tokens_per_s + input_tokens / m.makespan_s : 0;
  f.requests_per_s = m.requests_per_s;
  f.ttft_mean_ms = 1e3 * m.ttft_s.mean;
  f.ttft_median_ms = 1e3 * m.ttft_s.p50;
  f.ttft_p99_ms = 1e3 * m.ttft_s.p99;
  f.tpot_mean_ms = 1e3 * m.tpot_s.mean;
  f.tpot_median_ms = 1e3 * m.tpot_s.p50;
  f.e2e_mean_s = m.e2e_s.mean;
  return f;
}

double figure_for(const ServingFigures& f, const std::string& metric) {
  if (metric == "output_throughput") return f.output_tokens_per_s;
  if (metric == "total_throughput") return f.total_tokens_per_s;
  if (metric == "request_throughput") return f.requests_per_s;
  if (metric == "ttft_mean") return f.ttft_mean_ms;
  if (metric == "ttft_median") return f.ttft_median_ms;
  if (metric == "ttft_p99") return f.ttft_p99_ms;
  if (metric == "tpot_mean" || metric == "itl_mean") return f.tpot_mean_ms;
  if (metric == "tpot_median") return f.tpot_median_ms;
  return f.e2e_mean_s;  // e2e_latency
}

}  // namespace llmsim::validate
