#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>

#include "common/output_files.hpp"
#include "app/commands.hpp"
#include "app/scenario_context.hpp"
#include "sim/serving/serving_report.hpp"
#include "sim/serving/serving_simulator.hpp"
#include "sim/serving/serving_trace.hpp"

namespace llmsim::cli {

namespace {

// The serving scenario used when none is named: Llama-3-8B on one H100 with vLLM.
constexpr const char* kDefaultServeScenario = "serve-llama3-8b-h100.yaml";

// Flags named as vLLM's and SGLang's benchmark and server tools name them; each overrides the
// scenario file's value when given (-1 or NaN: not given, so that a given 0 is refused, not
// dropped).
struct ServeFlags {
  std::string request_rate;  // a number or inf
  int64_t num_prompts = -1;
  int64_t max_concurrency = -1;
  int64_t max_num_seqs = -1;
  int64_t max_num_batched_tokens = -1;
  int64_t max_model_len = -1;
  double gpu_memory_utilization = std::numeric_limits<double>::quiet_NaN();
  std::string kv_cache_dtype;
  std::string dtype;
  std::string dataset_name;  // sharegpt | random
  std::string dataset_path;
  int64_t random_input_len = -1;
  int64_t random_output_len = -1;
  double random_range_ratio = std::numeric_limits<double>::quiet_NaN();
  int64_t seed = -1;
  std::string model, hardware, software, admission;
  int tp = -1;
  bool expert_parallel = false;
};

double parse_rate(const std::string& text) {
  if (text == "inf" || text == "Inf" || text == "INF") return std::numeric_limits<double>::infinity();
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && v > 0 && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw InputError("--request-rate", fmt::format("must be a positive number of requests/s or inf, got '{}'", text));
}

void apply(const ServeFlags& f, sim::serving::ServeConfig& c) {
  auto& w = c.workload;
  if (!f.request_rate.empty()) {
    w.rate = parse_rate(f.request_rate);
    if (w.arrival == sim::serving::ArrivalProcess::trace) throw InputError("--request-rate", "the scenario replays a trace file: its times are fixed");
  }
  if (f.num_prompts != -1) {
    if (f.num_prompts < 1 || f.num_prompts > 10'000'000) throw InputError("--num-prompts", fmt::format("(--requests) must be from 1 to 10000000, got {}", f.num_prompts));
    w.requests = f.num_prompts;
  }
  if (f.max_concurrency != -1) {
    if (f.max_concurrency < 0 || f.max_concurrency > 10'000'000) {
      throw InputError("--max-concurrency", "must be 0 (no limit) to 10000000");
    }
    w.max_concurrency = f.max_concurrency;
  }
  if (f.seed >= 0) w.seed = static_cast<uint64_t>(f.seed);
  if (f.max_num_seqs != -1) {
    if (f.max_num_seqs < 1 || f.max_num_seqs > 100'000) throw InputError("--max-num-seqs", "must be from 1 to 100000");
    c.scheduler.max_batch = f.max_num_seqs;
    c.stated.insert("scheduler.max_batch");
  }
  if (f.max_num_batched_tokens != -1) {
    if (f.max_num_batched_tokens < 1 || f.max_num_batched_tokens > 10'000'000) {
      throw InputError("--max-num-batched-tokens", "must be from 1 to 10000000");
    }
    c.scheduler.max_batched_tokens = f.max_num_batched_tokens;
    c.stated.insert("scheduler.max_batched_tokens");
  }
  if (f.max_model_len != -1) {
    if (f.max_model_len < 1 || f.max_model_len > 1'000'000'000) throw InputError("--max-model-len", "must be from 1 to 1000000000");
    c.max_model_len = f.max_model_len;
  }
  if (!std::isnan(f.gpu_memory_utilization)) {
    if (!(f.gpu_memory_utilization > 0 && f.gpu_memory_utilization <= 1)) {
      throw InputError("--gpu-memory-utilization", "must be in (0, 1]");
    }
    c.gpu_memory_utilization = f.gpu_memory_utilization;
  }
  if (!f.kv_cache_dtype.empty()) c.kv_dtype = f.kv_cache_dtype == "auto" ? c.dtype : f.kv_cache_dtype;
  if (!f.dtype.empty()) c.dtype = f.dtype;
  if (!f.model.empty()) c.model = f.model;
  if (!f.hardware.empty()) c.hardware = f.hardware;
  if (!f.software.empty()) c.software = f.software;
  if (!f.admission.empty()) {
    c.scheduler.admission = f.admission;
    c.stated.insert("scheduler.admission");
  }
  if (f.tp != -1) {
    if (f.tp < 1 || f.tp > 4096) throw InputError("--tensor-parallel-size", "must be from 1 to 4096");
    c.replica.tp = f.tp;
    c.replica.placement.devices.clear();
  }
  if (f.expert_parallel) c.replica.expert_parallel = true;
  if (!f.dataset_path.empty()) {
    if (!f.dataset_name.empty() && f.dataset_name != "sharegpt") {
      throw InputError("--dataset-path", "a dataset file is ShareGPT JSON: use it with --dataset-name sharegpt");
    }
    w.dataset = f.dataset_path;
    if (w.arrival == sim::serving::ArrivalProcess::trace) w.arrival = sim::serving::ArrivalProcess::poisson;
  } else if (f.dataset_name == "random") {
    w.dataset.clear();
    w.lengths.distribution = "fixed";
  } else if (f.dataset_name == "sharegpt") {
    throw InputError("--dataset-name", "sharegpt needs the file: --dataset-path FILE.json (no dataset is bundled)");
  } else if (!f.dataset_name.empty()) {
    throw InputError("--dataset-name", fmt::format("must be sharegpt or random, got '{}'", f.dataset_name));
  }
  if (f.random_input_len != -1 || f.random_output_len != -1) {
    if (f.dataset_name != "random") {
      throw InputError(f.random_input_len != -1 ? "--random-input-len" : "--random-output-len",
                       "goes with --dataset-name random");
    }
    for (const auto& [flag, value] : {std::pair{"--random-input-len", f.random_input_len},
                                      std::pair{"--random-output-len", f.random_output_len}}) {
      if (value != -1 && (value < 1 || value > 10'000'000)) throw InputError(flag, "must be from 1 to 10000000");
    }
    if (f.random_input_len > 0) w.lengths.prompt_mean = static_cast<double>(f.random_input_len);
    if (f.random_output_len > 0) w.lengths.output_mean = static_cast<double>(f.random_output_len);
  }
  if (!std::isnan(f.random_range_ratio)) {
    if (f.dataset_name != "random") throw InputError("--random-range-ratio", "goes with --dataset-name random");
    if (!(f.random_range_ratio >= 0 && f.random_range_ratio <= 1)) throw InputError("--random-range-ratio", "must be from 0 to 1");
    // vllm bench serve's: lengths uniform in [len x (1 - r), len x (1 + r)]; 0 = every request the same.
    w.lengths.distribution = f.random_range_ratio > 0 ? "uniform" : "fixed";
    w.lengths.range_ratio = f.random_range_ratio;
  }
}

void add_flags(CLI::App* cmd, ServeFlags& f) {
  cmd->add_option("--request-rate,--rate", f.request_rate, "requests/s (Poisson), or inf to send all at once");
  cmd->add_option("--num-prompts,--requests", f.num_prompts, "number of requests");
  cmd->add_option("--max-concurrency", f.max_concurrency,
                  "at most this many requests in flight (closed loop, as the benchmark tools); 0 = no limit");
  cmd->add_option("--max-num-seqs", f.max_num_seqs, "sequences per step (the scheduler's max_batch)");
  cmd->add_option("--max-num-batched-tokens", f.max_num_batched_tokens, "new tokens per step");
  cmd->add_option("--max-model-len", f.max_model_len, "longest sequence the server takes (default: the model's context length)");
  cmd->add_option("--gpu-memory-utilization", f.gpu_memory_utilization, "share of device memory for the server");
  cmd->add_option("--kv-cache-dtype", f.kv_cache_dtype, "KV cache format (auto = the weights' dtype)");
  cmd->add_option("--dtype", f.dtype, "weight format");
  cmd->add_option("--dataset-name", f.dataset_name, "sharegpt (with --dataset-path) or random");
  cmd->add_option("--dataset,--dataset-path", f.dataset_path, "ShareGPT-format JSON to take request lengths from");
  cmd->add_option("--random-input-len", f.random_input_len, "prompt tokens of --dataset-name random");
  cmd->add_option("--random-output-len", f.random_output_len, "output tokens of --dataset-name random");
  cmd->add_option("--random-range-ratio", f.random_range_ratio,
                  "--dataset-name random: lengths uniform within +-this share of the given ones (vllm bench serve's)");
  cmd->add_option("--seed", f.seed, "random seed of arrivals and sampling");
  cmd->add_option("--model", f.model, "model id or config.json");
  cmd->add_option("--hardware", f.hardware, "catalog system id or system YAML");
  cmd->add_option("--software,--backend", f.software, "engine profile (vllm, trtllm, sglang, ...); NAME@X.Y.Z for a release (vllm@0.6.3: V0's defaults)");
  cmd->add_option("--tensor-parallel-size,--tp", f.tp, "tensor-parallel ranks per replica");
  cmd->add_flag("--enable-expert-parallel", f.expert_parallel,
                "MoE: the tensor ranks hold whole experts and exchange tokens by all-to-all (vLLM's flag)");
  cmd->add_option("--admission", f.admission, "KV admission policy: allocate (vLLM) or reserve (TensorRT-LLM)");
}

}  // namespace

void add_serve_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("serve", "simulate a model server under a stream of requests");
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  auto flags = std::make_shared<ServeFlags>();
  auto trace = std::make_shared<std::string>();
  cmd->add_option("scenario", *file, fmt::format("serve scenario YAML (default: scenarios/{})", kDefaultServeScenario));
  cmd->add_option("--out", *out, "output directory (default: results/<scenario name>)");
  cmd->add_flag("--quiet", *quiet, "no report or progress");
  cmd->add_flag("--json", *json, "print the JSON summary instead of the text report");
  cmd->add_option("--trace", *trace, "also write a Perfetto trace of steps and requests to this file");
  add_flags(cmd, *flags);
  cmd->callback([=, &action]() {
    action = [=](const sim::DataPaths& paths) {
      const std::string scenario = file->empty() ? paths.scenarios() + "/" + kDefaultServeScenario : *file;
      if (file->empty() && !*quiet && !*json) fmt::print(stderr, "no scenario given: using {}\n", scenario);
      auto config = sim::serving::load_serve_config(scenario);
      apply(*flags, config);
      const auto start = std::chrono::steady_clock::now();
      // Everything is checked before anything is written; errors name the scenario file.
      std::vector<sim::serving::Request> requests_list;
      std::unique_ptr<sim::serving::ServingSimulator> checked;
      try {
        requests_list = sim::serving::make_requests(config.workload);
        checked = std::make_unique<sim::serving::ServingSimulator>(paths, config);
      } catch (const InputError& e) {
        if (e.where().find(':') != std::string::npos) throw;  // already names a file and line
        throw in_scenario(scenario, e);
      }
      auto& simulator = *checked;
      simulator.record_steps(!trace->empty());
      std::size_t last_tenth = 0, steps = 0;
      auto last_line = start;
      const bool show = !*quiet && !*json;
      const auto result = simulator.run(std::move(requests_list), [&](std::size_t done, std::size_t total) {
        const std::size_t tenth = done * 10 / total;
        ++steps;  // called per finished request and per step: an upper bound is all a progress line needs
        const auto now = std::chrono::steady_clock::now();
        if (show && tenth > last_tenth) {
          last_tenth = tenth;
          last_line = now;
          fmt::print(stderr, "  {:3}% of requests served\n", tenth * 10);
        } else if (show && now - last_line > std::chrono::seconds(5)) {  // few, long requests
          last_line = now;
          fmt::print(stderr, "  {} of {} requests served, {} steps and completions simulated\n", done, total, steps);
        }
      });
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const std::string dir = out->empty() ? "results/" + safe_file_name(config.name, *file + ": name") : *out;
      const auto summary = sim::serving::serving_json(simulator.config(), result, wall);
      ResultSet files(dir);
      files.add("serve.json", summary.dump(2) + "\n");
      files.add("requests.csv", sim::serving::requests_csv(result));
      files.commit();
      if (!trace->empty()) write_file_atomically(*trace, sim::serving::serving_trace_json(result));
      if (*json) {
        fmt::print("{}\n", summary.dump(2));
      } else if (!*quiet) {
        fmt::print("{}", sim::serving::serving_text(simulator.config(), result, wall));
        fmt::print("\nwrote {0}/serve.json and {0}/requests.csv\n", dir);
      }
      return kOk;
    };
  });
}

}  // namespace llmsim::cli
