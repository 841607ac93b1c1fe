#include "sim/serving/serving_simulator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <queue>

#include "hwmodels/input_error.hpp"
#include "sim/memory_accounting.hpp"
#include "sim/serving/serving_event.hpp"
#include "workloads/lowering.hpp"

namespace llmsim::sim::serving {

// A kind of replica (mixed, prefill or decode): one deployment, its step timer and KV size.
struct ServingSimulator::Role {
  std::string name;
  ReplicaSpec spec;
  int count = 1;
  Deployment deployment;
  std::unique_ptr<StepTimer> timer;
  int64_t kv_blocks = 0;
  int devices = 1;
};

struct ServingSimulator::Replica {
  Role* role = nullptr;
  std::unique_ptr<Scheduler> scheduler;
  KvBlockManager kv{0, 1};
  ReplicaQueues queues;
  bool busy = false;
  ScheduledStep current;
  ReplicaStats stats;
};

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
  make_scheduler(config_.scheduler);  // validates the scheduler settings up front
  auto add_role = [&](const std::string& name, ReplicaSpec spec, int count, int skip) {
    auto role = std::make_unique<Role>();
    role->name = name;
    role->count = count;
    const int ranks = spec.tp * spec.pp;
    if (spec.placement.devices.empty()) spec.placement.devices = default_devices(context_->system, ranks, skip);
    role->spec = spec;
    role->devices = ranks;
    role->deployment = make_deployment(*context_, spec.placement, spec.tp, spec.pp, {});
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
  assumptions_.push_back(fmt::format("scheduler {}: up to {} sequences and {} new tokens per step{}; preemption by {}",
                                     config_.scheduler.policy, config_.scheduler.max_batch,
                                     config_.scheduler.max_batched_tokens,
                                     config_.scheduler.policy == "chunked"
                                         ? fmt::format(", prompt chunks of {}", config_.scheduler.chunk_tokens)
                                         : "",
                                     config_.scheduler.preemption));
  assumptions_.push_back("replicas are independent copies (no shared links between them are modelled)");
}

ServingSimulator::~ServingSimulator() = default;

ServingResult ServingSimulator::run(std::vector<Request> requests,
                                    const std::function<void(std::size_t, std::size_t)>& progress) {
  Role& entry = *roles_.back();  // the role that takes arrivals: mixed or prefill
  Role* decode = config_.disaggregated ? roles_.front().get() : nullptr;
  const auto& sc = config_.scheduler;
  for (const auto& r : requests) {
    for (const auto& role : roles_) {
      const int64_t tokens = role->name == "prefill" ? r.prompt_tokens : r.prompt_tokens + r.output_tokens;
      const int64_t blocks = (tokens + config_.block_tokens - 1) / config_.block_tokens;
      if (blocks > role->kv_blocks) {
        throw InputError("workload", fmt::format("request {} needs {} KV blocks ({} tokens) but a {} replica holds {}",
                                                 r.id, blocks, tokens, role->name, role->kv_blocks));
      }
    }
    if (sc.policy != "chunked" && r.prompt_tokens > sc.max_batched_tokens) {
      throw InputError("scheduler.max_batched_tokens",
                       fmt::format("request {} has a {}-token prompt, more than the {} tokens a step may take; raise "
                                   "max_batched_tokens or use the chunked scheduler",
                                   r.id, r.prompt_tokens, sc.max_batched_tokens));
    }
  }

  std::vector<RequestProgress> table(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) table[i].request = requests[i];
  std::vector<Replica> replicas;
  for (const auto& role : roles_) {
    for (int i = 0; i < role->count; ++i) {
      Replica r;
      r.role = role.get();
      r.scheduler = make_scheduler(sc);
      r.kv = KvBlockManager(role->kv_blocks, config_.block_tokens);
      r.stats.role = role->name;
      r.stats.kv_blocks = role->kv_blocks;
      replicas.push_back(std::move(r));
    }
  }

  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  uint64_t sequence = 0;
  auto push = [&](double time, EventBody body) { events.push(Event{time, sequence++, body}); };
  for (std::size_t i = 0; i < table.size(); ++i) push(table[i].request.arrival_s, Arrival{i});

  std::size_t round_robin[2] = {0, 0};
  auto route = [&](const Role& role) {
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < replicas.size(); ++i)
      if (replicas[i].role == &role) candidates.push_back(i);
    if (config_.router == "least-loaded") {
      auto load = [&](std::size_t i) {
        const auto& q = replicas[i].queues;
        return q.waiting.size() + q.running.size() + q.swapped.size();
      };
      return *std::min_element(candidates.begin(), candidates.end(),
                               [&](std::size_t a, std::size_t b) { return load(a) < load(b); });
    }
    std::size_t& next = round_robin[&role == decode ? 1 : 0];
    return candidates[next++ % candidates.size()];
  };

  // KV handoff of disaggregated serving: each rank's shard over the link between the two
  // replicas' devices, simulated as concurrent copies and memoised by length.
  Executor handoff_executor(*context_->platform);
  std::map<int64_t, double> handoff_memo;
  auto handoff_seconds = [&](int64_t tokens) {
    auto it = handoff_memo.find(tokens);
    if (it != handoff_memo.end()) return it->second;
    const Platform& p = *context_->platform;
    const Placer& from = *entry.deployment.placer;
    workloads::OpGraph graph;
    std::vector<PlannedOp> plan;
    const double bytes = static_cast<double>(tokens) * entry.timer->kv_bytes_per_token();
    const auto& to_devices = decode->spec.placement.devices;
    for (std::size_t r = 0; r < entry.spec.placement.devices.size(); ++r) {
      const std::size_t src = p.memory_of_device(p.device_index(entry.spec.placement.devices[r]));
      const std::size_t dst = p.memory_of_device(p.device_index(to_devices[r % to_devices.size()]));
      if (src == dst) continue;
      workloads::Op op;
      op.name = "kv_handoff" + std::to_string(r);
      op.kind = workloads::OpKind::transfer;
      graph.add(op, {});
      plan.push_back(PlannedOp::copy(r, p.memory_host(src), p.memory_host(dst), 0.0, bytes));
    }
    double t = 0;
    if (!plan.empty()) {
      const double begin = p.now();
      handoff_executor.run(graph, plan, std::vector<int>(std::max(plan.size(), from.stream_limits().size()), 1));
      t = p.now() - begin;
    }
    handoff_memo[tokens] = t;
    return t;
  };

  auto try_start = [&](std::size_t i, double now) {
    Replica& r = replicas[i];
    if (r.busy) return;
    r.current = r.scheduler->schedule(r.queues, table, r.kv, now);
    if (r.current.empty()) {
      const double wake = r.scheduler->wake_up(r.queues, table, now);
      if (wake > now) push(wake, WakeUp{i});
      return;
    }
    const double took = r.role->timer->seconds(r.current);
    r.busy = true;
    ++r.stats.steps;
    r.stats.busy_s += took;
    push(now + took, StepDone{i});
  };

  std::size_t finished = 0;
  auto finish_step = [&](std::size_t i, double now) {
    Replica& rep = replicas[i];
    rep.busy = false;
    for (const Slot& slot : rep.current.slots) {
      RequestProgress& r = table[slot.request];
      if (slot.decode) {
        if (r.done()) continue;  // static batching's padding slot
        r.computed += 1;
        r.generated += 1;
      } else {
        r.computed += slot.new_tokens;
        if (slot.produces_token) {
          r.generated += 1;
          if (r.first_token_s < 0) r.first_token_s = now;
        }
      }
      auto leave = [&]() {
        rep.kv.release(r.blocks);
        r.blocks = 0;
        auto& running = rep.queues.running;
        running.erase(std::remove(running.begin(), running.end(), slot.request), running.end());
      };
      if (r.done() && r.finish_s < 0) {
        r.finish_s = now;
        r.state = RequestState::finished;
        leave();
        ++finished;
        if (progress) progress(finished, table.size());
      } else if (rep.role->name == "prefill" && r.prefilled() && r.generated >= 1) {
        leave();
        r.state = RequestState::waiting;
        const std::size_t to = route(*decode);
        r.replica = static_cast<int>(to);
        push(now + handoff_seconds(r.computed), Handoff{slot.request, to});
      }
    }
    rep.stats.kv_utilisation.emplace_back(now, rep.kv.total() > 0 ? static_cast<double>(rep.kv.used()) /
                                                                         static_cast<double>(rep.kv.total())
                                                                   : 0.0);
  };

  while (!events.empty()) {
    const Event e = events.top();
    events.pop();
    std::visit(
        [&](const auto& body) {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, Arrival>) {
            const std::size_t to = route(entry);
            table[body.request].replica = static_cast<int>(to);
            replicas[to].queues.waiting.push_back(body.request);
            try_start(to, e.time);
          } else if constexpr (std::is_same_v<T, StepDone>) {
            finish_step(body.replica, e.time);
            try_start(body.replica, e.time);
          } else if constexpr (std::is_same_v<T, Handoff>) {
            replicas[body.replica].queues.waiting.push_back(body.request);
            try_start(body.replica, e.time);
          } else {
            try_start(body.replica, e.time);
          }
        },
        e.body);
  }

  ServingResult result;
  int devices = 0;
  for (const auto& role : roles_) devices += role->devices * role->count;
  result.devices = devices;
  for (auto& rep : replicas) {
    rep.stats.kv_blocks_peak = rep.kv.peak();
    rep.stats.preemptions = rep.scheduler->preemptions();
    auto& series = rep.stats.kv_utilisation;
    if (series.size() > 500) {  // keep the report small: every k-th point
      const std::size_t k = (series.size() + 499) / 500;
      std::vector<std::pair<double, double>> thin;
      for (std::size_t j = 0; j < series.size(); j += k) thin.push_back(series[j]);
      series = std::move(thin);
    }
    result.replicas.push_back(std::move(rep.stats));
  }
  for (const auto& role : roles_) {
    result.simulated_steps += role->timer->simulated_steps();
    result.memo_hits += role->timer->memo_hits();
    result.simulated_ops += role->timer->simulated_ops();
  }
  result.metrics = compute_metrics(table, config_.slo, devices);
  result.requests = std::move(table);
  result.assumptions = assumptions_;
  return result;
}

}  // namespace llmsim::sim::serving
