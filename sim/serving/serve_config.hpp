// A serving scenario (`llmsim serve FILE.yaml`): the model server (hardware, model, software,
// parallelism, replicas, scheduler, KV cache), its traffic and the SLO it is judged by.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "hwmodels/software_profile.hpp"
#include "sim/placement.hpp"

namespace YAML {
class Node;
}
#include "sim/serving/scheduler.hpp"
#include "sim/serving/workload.hpp"

namespace llmsim::sim::serving {

struct Slo {
  double ttft_s = 2.0;   // a request meets the SLO when its TTFT and TPOT are both within these
  double tpot_s = 0.1;
};

/// What one replica runs: a placement of the model on some devices of the system.
struct ReplicaSpec {
  int tp = 1;
  int pp = 1;
  // vLLM's --enable-expert-parallel: the tp ranks hold whole experts (ep = tp) and exchange
  // tokens by all-to-all instead of splitting every expert.
  bool expert_parallel = false;
  PlacementSpec placement;  // devices: one per rank; empty = the first tp x pp GPUs
};

/// A prompt head shared by requests (a system prompt, a few-shot preamble) and the share of
/// requests that find its KV in the prefix cache (vLLM's automatic prefix caching, SGLang's
/// radix cache). The hit rate is an input: cache eviction is not simulated.
struct PrefixCacheSpec {
  int64_t prefix_tokens = 0;
  double hit_rate = 0;
  /// Whole blocks of the prefix the cache holds once per replica (none when nothing hits).
  int64_t pinned_blocks(int64_t block_tokens) const { return hit_rate > 0 ? prefix_tokens / block_tokens : 0; }
};

/// An MLPerf Inference-style run (`mlperf:`): Server (Poisson arrivals at the workload's rate;
/// VALID when the 99th percentile TTFT and TPOT are within the limits; MLPerf v4.0+ Llama-2-70B
/// server limits by default) or Offline (every request at once; VALID when all complete).
struct MlperfSpec {
  std::string scenario;  // "" = not an MLPerf run | Server | Offline
  double ttft_p99_s = 2.0;
  double tpot_p99_s = 0.2;
};

/// Speculative decoding (`speculative:`): each decode step verifies `tokens` proposed tokens
/// with the last one, and accepts on average (1 - a^(k+1)) / (1 - a) tokens for acceptance rate
/// a and k proposed (Leviathan et al., ICML 2023, eq. 1). `ngram` (prompt lookup) proposes on the
/// host at no modelled cost; the acceptance rate is an input.
struct SpeculativeSpec {
  std::string method;  // "" = off | ngram
  int64_t tokens = 0;
  double acceptance_rate = 0;
  /// Expected tokens a verification step yields.
  double expected_tokens() const;
};

struct ServeConfig {
  std::string file;
  std::string name;
  std::string description;
  std::string hardware;
  std::string model;
  std::string software = "vllm";
  std::string dtype = "bf16";
  std::string kv_dtype = "bf16";
  ReplicaSpec replica;
  int replicas = 1;                    // independent copies of `replica`, each on its own devices
  std::string router = "round-robin";  // round-robin | least-loaded
  SchedulerConfig scheduler;
  int64_t block_tokens = 16;           // KV block size (vLLM default)
  double gpu_memory_utilization = 0.9; // share of device memory the server may use (vLLM default)
  // Disaggregated serving: `prefill_replicas` copies of `prefill` take the prompts and hand the
  // KV cache over the link to the `replicas` decode copies of `replica`.
  bool disaggregated = false;
  ReplicaSpec prefill;
  int prefill_replicas = 1;
  WorkloadSpec workload;
  PrefixCacheSpec prefix_cache;
  MlperfSpec mlperf;
  SpeculativeSpec speculative;
  Slo slo;
  double usd_per_device_hour = 0;      // for cost per million tokens (0 = not reported)
  // Scheduler and KV keys the scenario or a flag set ("scheduler.max_batch", "kv.block_tokens");
  // with take_engine_defaults (set by the scenario reader) the others take the engine
  // profile's serving defaults. A config built in code keeps the values it was given.
  std::set<std::string> stated;
  bool take_engine_defaults = false;
  // The longest sequence the server accepts (vLLM's --max-model-len); 0 = the model's own
  // context length. Engine defaults may depend on it (vLLM V0's chunked prefill above 32K).
  int64_t max_model_len = 0;
  // Host work per step in place of the profile's (negative = the profile's): what the corpus
  // fit varies.
  double host_step_us = -1;
  double host_per_sequence_us = -1;
  double host_request_us = -1;
};

/// Fills the scheduler settings and block size the scenario left unstated from the engine
/// profile's `serving` section; returns what it took, for the assumptions.
std::string apply_engine_defaults(ServeConfig& config, const hwmodels::EngineServing& engine);

/// The engine's serving defaults on `device` (of `system`) for a server of `max_model_len`
/// tokens: an earlier release's (`before_release`, by max_model_len) where the release described
/// is older than it; else its `large_gpu` limits in place of the usual ones where the device's
/// memory reaches the threshold and its name is not excepted; `why` says which applied.
hwmodels::EngineServing engine_defaults_on(const hwmodels::EngineServing& engine, const hwmodels::System& system,
                                           const hwmodels::Device& device, int64_t max_model_len, std::string& why);

/// Reads a serve scenario; InputError with file:line for unknown keys or bad values.
ServeConfig load_serve_config(const std::string& path);
/// The same from a YAML tree already read (`llmsim sweep` changes it first); `path` is for
/// messages and relative paths.
ServeConfig load_serve_config(const YAML::Node& root, const std::string& path);

}  // namespace llmsim::sim::serving
