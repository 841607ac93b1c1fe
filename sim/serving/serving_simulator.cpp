#include "sim/serving/serving_simulator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "common/input_error.hpp"
#include "sim/memory_accounting.hpp"
#include "sim/serving/serving_run.hpp"
#include "workloads/lowering.hpp"

namespace llmsim::sim::serving {

namespace {

std::vector<std::string> default_devices(const hwmodels::System& system, int ranks, int skip) {
  std::vector<std::string> out;
  const auto gpus = system.devices_of(hwmodels::DeviceKind::gpu);
  for (int i = 0; i < ranks; ++i) {
    const auto index = static_cast<std::size_t>(skip + i);
    if (index < gpus.size()) out.push_back(gpus[index]->id);
  }
  if (static_cast<int>(out.size()) < ranks) {
    out.clear();  // not enough distinct devices past `skip`: share the first ones
    for (int i = 0; i < ranks && static_cast<std::size_t>(i) < gpus.size(); ++i) out.push_back(gpus[static_cast<std::size_t>(i)]->id);
  }
  if (out.empty()) {
    for (const auto& d : system.devices) {
      out.push_back(d.id);
      if (static_cast<int>(out.size()) == ranks) break;
    }
  }
  return out;
}

// Blocks of `block_tokens` tokens that fit next to the weights and the activation workspace
// in the share of every memory the deployment uses.
int64_t size_kv_cache(const SimulationContext& c, const Deployment& d, const ServeConfig& config, double per_token,
                      std::string& basis) {
  workloads::LoweringOptions one = d.base;
  one.batch = 1;
  const PlacedStep decode = d.placer->place(workloads::lower_step(c.model, *c.weights, one));
  workloads::LoweringOptions budget = d.base;
  budget.batch = 1;
  budget.new_tokens = std::max<int64_t>(1, config.scheduler.max_batched_tokens);
  const PlacedStep busiest = d.placer->place(workloads::lower_step(c.model, *c.weights, budget));
  double free = std::numeric_limits<double>::infinity();
  for (const auto& use : account_memory(*c.platform, *d.placer, decode, busiest, d.base.tp, 0)) {
    const double capacity = c.system.find_memory(use.memory)->capacity_bytes() * config.gpu_memory_utilization;
    const double left = capacity - use.weights - use.activations;
    if (left < free) {
      free = left;
      basis = fmt::format("{}: {:.2f} GB x {} utilisation - weights {:.2f} GB - activations {:.2f} GB = {:.2f} GB for "
                          "KV at {:.0f} bytes/token per rank",
                          use.memory, capacity / config.gpu_memory_utilization / 1e9, config.gpu_memory_utilization,
                          use.weights / 1e9, use.activations / 1e9, left / 1e9, per_token);
      if (left <= 0) {
        throw InputError("replica", fmt::format("the model does not fit: on {} the weights ({:.2f} GB) and activations "
                                                "({:.2f} GB) exceed {:.2f} GB",
                                                use.memory, use.weights / 1e9, use.activations / 1e9, capacity / 1e9));
      }
    }
  }
  return static_cast<int64_t>(std::floor(free / (per_token * static_cast<double>(config.block_tokens))));
}

}  // namespace

ServingSimulator::ServingSimulator(const DataPaths& paths, ServeConfig config) : config_(std::move(config)) {
  context_ = std::make_unique<SimulationContext>(paths, config_.hardware, config_.model, config_.software,
                                                 config_.dtype, config_.kv_dtype);
  if (config_.host_step_us >= 0) context_->profile.serving.step_us = config_.host_step_us;
  if (config_.host_per_sequence_us >= 0) context_->profile.serving.per_sequence_us = config_.host_per_sequence_us;
  if (config_.host_request_us >= 0) context_->profile.serving.request_us = config_.host_request_us;
  // The replica's device decides engine defaults that depend on its memory (vLLM's V1 limits).
  const hwmodels::Device* replica_device = config_.replica.placement.devices.empty()
                                               ? context_->system.first_device(hwmodels::DeviceKind::gpu)
                                               : context_->system.find_device(config_.replica.placement.devices.front());
  hwmodels::EngineServing engine = context_->profile.serving;
  if (replica_device && config_.take_engine_defaults) {
    std::string why;
    const int64_t max_model_len = config_.max_model_len > 0 ? config_.max_model_len : context_->model.max_positions;
    engine = engine_defaults_on(engine, context_->system, *replica_device, max_model_len, why);
    if (!why.empty()) assumptions_.push_back(why);
    // The step timer reads the engine's graph behaviour from the profile: an earlier release's.
    context_->profile.serving.eager_kernel_us = engine.eager_kernel_us;
    context_->profile.serving.graph_max_context = engine.graph_max_context;
  }
  if (replica_device && config_.replica.tp > 1) {
    const auto line = hwmodels::describe_all_reduce(context_->profile.efficiency_for(context_->system, *replica_device));
    if (!line.empty()) assumptions_.push_back(line);
  }
  const std::string defaults = apply_engine_defaults(config_, engine);
  if (!defaults.empty()) {
    assumptions_.push_back(fmt::format("from the {} profile's serving defaults (not set by the scenario): {}",
                                       context_->profile.id, defaults));
  }
  make_scheduler(config_.scheduler);  // validates the scheduler settings up front
  auto add_role = [&](const std::string& name, ReplicaSpec spec, int count, int skip) {
    auto role = std::make_unique<ServingRole>();
    role->name = name;
    role->count = count;
    const int ranks = spec.tp * spec.pp;
    if (spec.placement.devices.empty()) spec.placement.devices = default_devices(context_->system, ranks, skip);
    role->spec = spec;
    role->devices = ranks;
    // Not silent: more replicas than the system holds are further identical machines (how a
    // planner adds capacity), unlike predict's --replicas, which places copies on one system.
    const auto* first = spec.placement.devices.empty() ? nullptr : context_->system.find_device(spec.placement.devices.front());
    const auto devices = first ? context_->system.devices_of(first->kind).size() : 0;
    if (first && static_cast<std::size_t>(count) * static_cast<std::size_t>(ranks) + static_cast<std::size_t>(skip) > devices) {
      assumptions_.push_back(fmt::format("{} replicas: {} x {} device(s) exceed the {} of system '{}': the replicas "
                                         "that do not fit run on further identical copies of it",
                                         name, count, ranks, devices, context_->system.id));
    }
    role->deployment = make_deployment(*context_, spec.placement, spec.tp, spec.pp, {}, spec.expert_parallel ? spec.tp : 1);
    if (spec.expert_parallel) {
      assumptions_.push_back(fmt::format("{} replicas: expert parallel over their {} ranks (whole experts per rank, "
                                         "all-to-all dispatch and combine, uniform routing)", name, spec.tp));
    }
    workloads::LoweringOptions check = role->deployment.base;
    workloads::check_parallelism(context_->model, check);
    role->timer = std::make_unique<StepTimer>(*context_, role->deployment, config_.block_tokens);
    std::string basis;
    role->kv_blocks = size_kv_cache(*context_, role->deployment, config_, role->timer->kv_bytes_per_token(), basis);
    assumptions_.push_back(fmt::format("{} replicas: KV cache of {} blocks of {} tokens ({})", name, role->kv_blocks,
                                       config_.block_tokens, basis));
    roles_.push_back(std::move(role));
  };
  if (config_.disaggregated) {
    add_role("decode", config_.replica, config_.replicas, 0);
    add_role("prefill", config_.prefill, config_.prefill_replicas, config_.replica.tp * config_.replica.pp);
  } else {
    add_role("mixed", config_.replica, config_.replicas, 0);
  }
  for (const auto& role : roles_) {
    assumptions_.push_back(fmt::format(
        "{} replica step times: {}", role->name,
        role->timer->representative()
            ? "each distinct layer kind simulated once per batch shape and multiplied (exact for sequential layers)"
            : "whole step graphs simulated per batch shape"));
  }
  assumptions_.push_back(fmt::format("scheduler {}: up to {} sequences and {} new tokens per step{}; KV admission "
                                     "'{}'; preemption by {}",
                                     config_.scheduler.policy, config_.scheduler.max_batch,
                                     config_.scheduler.max_batched_tokens,
                                     config_.scheduler.policy == "chunked"
                                         ? fmt::format(", prompt chunks of {}", config_.scheduler.chunk_tokens)
                                         : "",
                                     config_.scheduler.admission, config_.scheduler.preemption));
  state_engine_and_traffic();
  assumptions_.push_back("replicas are independent copies (no shared links between them are modelled)");
}

// The engine's host work, prefix cache, speculation, closed loop and dataset, as assumptions.
void ServingSimulator::state_engine_and_traffic() {
  const auto& host = context_->profile.serving;
  assumptions_.push_back(fmt::format("engine host work per step ({}): {} us + {} us per sequence + {} us per new token{}; "
                                     "{} us of front end per request before it is scheduled [{}]",
                                     context_->profile.id, host.step_us, host.per_sequence_us, host.per_token_us,
                                     host.graph_batch_sizes.empty()
                                         ? ""
                                         : fmt::format("; decode batches padded to captured graph sizes up to {}",
                                                       host.graph_batch_sizes.back()),
                                     host.request_us, host.basis));
  const auto& w = config_.workload;
  if (config_.prefix_cache.prefix_tokens > 0) {
    assumptions_.push_back(fmt::format("prefix cache: the first {} prompt tokens are shared; {:.0f}% of requests find "
                                       "them cached and skip their prefill (an input, not simulated eviction)",
                                       config_.prefix_cache.prefix_tokens, 100 * config_.prefix_cache.hit_rate));
  }
  if (config_.speculative.tokens > 0) {
    assumptions_.push_back(fmt::format("speculative decoding ({}): each decode step verifies {} proposed tokens and "
                                       "yields {:.3f} tokens on average at acceptance rate {} (an input); proposing "
                                       "costs nothing modelled; static batching does not speculate",
                                       config_.speculative.method, config_.speculative.tokens,
                                       config_.speculative.expected_tokens(), config_.speculative.acceptance_rate));
  }
  if (w.max_concurrency > 0) {
    assumptions_.push_back(fmt::format("closed loop: at most {} requests in flight; latency counts from when a client "
                                       "sends, as the engines' benchmark tools count it",
                                       w.max_concurrency));
  }
  if (!w.dataset.empty()) {
    assumptions_.push_back(fmt::format("lengths from dataset {}: tokens = UTF-8 bytes / {} (no tokenizer), pairs "
                                       "filtered as vLLM's benchmark does (4..1024 prompt, <= 2048 in all)",
                                       w.dataset, w.chars_per_token));
  }
}

ServingSimulator::~ServingSimulator() = default;

void ServingSimulator::check_requests(const std::vector<Request>& requests) const {
  const auto& sc = config_.scheduler;
  const int64_t pinned = config_.prefix_cache.pinned_blocks(config_.block_tokens);
  for (const auto& r : requests) {
    for (const auto& role : roles_) {
      const int64_t tokens = role->name == "prefill" ? r.prompt_tokens : r.prompt_tokens + r.output_tokens;
      const int64_t blocks = (tokens + config_.block_tokens - 1) / config_.block_tokens;
      const int64_t holds = role->kv_blocks - (role.get() == roles_.back().get() ? pinned : 0);
      if (blocks > holds) {
        throw InputError("workload", fmt::format("request {} needs {} KV blocks ({} tokens) but a {} replica holds {}",
                                                 r.id, blocks, tokens, role->name, holds));
      }
    }
    if (sc.policy != "chunked" && r.prompt_tokens > sc.max_batched_tokens) {
      throw InputError("scheduler.max_batched_tokens",
                       fmt::format("request {} has a {}-token prompt, more than the {} tokens a step may take; raise "
                                   "max_batched_tokens or use the chunked scheduler",
                                   r.id, r.prompt_tokens, sc.max_batched_tokens));
    }
  }
}

ServingResult ServingSimulator::run(std::vector<Request> requests,
                                    const std::function<void(std::size_t, std::size_t)>& progress) {
  check_requests(requests);
  ServingRun served(config_, *context_, roles_, std::move(requests), progress, 1e-6 * context_->profile.serving.request_us);
  ServingResult result;
  if (record_steps_) served.record_steps(&result.steps);
  served.run();
  for (const auto& role : roles_) {
    result.devices += role->devices * role->count;
    result.simulated_steps += role->timer->simulated_steps();
    result.memo_hits += role->timer->memo_hits();
    result.simulated_ops += role->timer->simulated_ops();
  }
  result.replicas = served.replica_stats();
  result.metrics = compute_metrics(served.requests(), config_.slo, result.devices);
  result.requests = std::move(served.requests());
  result.assumptions = assumptions_;
  return result;
}

}  // namespace llmsim::sim::serving
