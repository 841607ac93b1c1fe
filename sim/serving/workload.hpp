// Where requests come from: a Poisson process (or all at once at rate inf), bursts, or a trace
// file; prompt and output lengths fixed, drawn from a ShareGPT-like distribution, or sampled
// from a ShareGPT dataset file; optionally a closed loop of `max_concurrency` clients. Everything is drawn from one
// seeded generator with distributions written here (not std::*_distribution, whose output
// differs between standard libraries), so a seed gives the same requests everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/serving/request.hpp"

namespace llmsim::sim::serving {

struct LengthSpec {
  std::string distribution = "sharegpt";  // sharegpt | fixed | lognormal | uniform
  double prompt_mean = 161.3;             // sharegpt: means from Kwon et al. (vLLM, SOSP 2023), sec. 6.1
  double output_mean = 338.0;
  double sigma = 1.0;                     // spread of the log-normal (assumed)
  // uniform: whole numbers from round(mean x (1 - r)) (at least 1) to round(mean x (1 + r)), as
  // `vllm bench serve --dataset-name random --random-range-ratio r` draws them.
  double range_ratio = 0;
  int64_t prompt_max = 4096;
  int64_t output_max = 2048;
};

// How requests arrive: a Poisson process, Poisson bursts of burst_size, or a trace's times.
enum class ArrivalProcess { poisson, bursts, trace };
std::string to_string(ArrivalProcess arrival);
std::optional<ArrivalProcess> arrival_named(const std::string& name);
inline constexpr const char* kArrivalNames = "poisson, bursts, trace";

struct WorkloadSpec {
  ArrivalProcess arrival = ArrivalProcess::poisson;
  double rate = 1.0;                // requests/s (poisson; average rate for bursts)
  int64_t requests = 100;
  int64_t burst_size = 8;           // bursts: this many requests at once, bursts Poisson at rate / burst_size
  std::string trace_file;           // trace: CSV (arrival_s,prompt_tokens,output_tokens) or JSONL
  std::string dataset;              // ShareGPT JSON: lengths sampled from it instead of `lengths`
  double chars_per_token = 4.0;     // dataset text to tokens (no tokenizer is bundled)
  // Closed loop as the engines' benchmark tools run it: at most this many requests in flight;
  // a request arriving beyond that is sent when one finishes, and its latency counts from then.
  // 0 = no limit (open loop).
  int64_t max_concurrency = 0;
  uint64_t seed = 1;
  LengthSpec lengths;
};

/// Requests sorted by arrival. InputError for bad rates, sizes, trace or dataset files. A rate
/// of +inf sends every request at time 0.
std::vector<Request> make_requests(const WorkloadSpec& spec);

/// Reads a CSV with header arrival_s,prompt_tokens,output_tokens (any column order) or JSONL
/// objects with those keys. Errors name the file, line and column.
std::vector<Request> read_request_trace(const std::string& path);

}  // namespace llmsim::sim::serving
