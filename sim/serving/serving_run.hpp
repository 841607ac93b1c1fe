// One serving run: the state of every request and replica and the event loop over it.
// Each event has a named handler; ServingSimulator sets up the roles and hands them here.
// Events are ordered by (time, priority, sequence), defined once in serving_event.hpp.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <vector>

#include "sim/serving/kv_handoff.hpp"
#include "sim/serving/router.hpp"
#include "sim/serving/scheduler.hpp"
#include "sim/serving/serving_event.hpp"
#include "sim/serving/serving_role.hpp"
#include "sim/serving/serving_simulator.hpp"

namespace llmsim::sim::serving {

using ProgressFn = std::function<void(std::size_t, std::size_t)>;

class ServingRun {
 public:
  /// `roles`: the decode (or mixed) role first; the last role takes arrivals.
  ServingRun(const ServeConfig& config, const SimulationContext& context,
             const std::vector<std::unique_ptr<ServingRole>>& roles, std::vector<Request> requests,
             ProgressFn progress, double front_end_s = 0);

  /// Runs every event; the requests' progress and the replicas' statistics.
  void run();
  std::vector<RequestProgress>& requests() { return table_; }
  std::vector<ReplicaStats> replica_stats();
  /// Appends every step to `steps` as it starts (null: none).
  void record_steps(std::vector<StepRecord>* steps) { steps_ = steps; }

 private:
  struct Replica {
    const ServingRole* role = nullptr;
    std::unique_ptr<Scheduler> scheduler;
    KvBlockManager kv{0, 1};
    ReplicaQueues queues;
    bool busy = false;
    ScheduledStep current;
    ReplicaStats stats;
    std::size_t kv_samples = 0, kv_stride = 1;  // KV-use series: every kv_stride-th step, bounded
  };

  void on_arrival(std::size_t request, double now);
  void on_step_done(std::size_t replica, double now);
  void on_handoff(std::size_t request, std::size_t replica, double now);
  void admit(std::size_t request, double now);

  void send(std::size_t request, double now);
  void try_start(std::size_t replica, double now);
  void apply_step(std::size_t replica, double now);
  void leave(Replica& replica, std::size_t request);
  void complete(std::size_t request, double now);
  int64_t accepted_tokens(RequestProgress& r) const;
  std::size_t route(const ServingRole& role);
  void push(double time, EventBody body);

  const ServeConfig& config_;
  const ServingRole& entry_;          // mixed or prefill: takes arrivals
  const ServingRole* decode_ = nullptr;  // disaggregated serving's decode role
  std::vector<RequestProgress> table_;
  std::vector<Replica> replicas_;
  std::vector<std::unique_ptr<Router>> routers_;  // one per role, in `roles` order
  std::vector<const ServingRole*> role_order_;
  std::optional<KvHandoff> handoff_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  uint64_t sequence_ = 0;
  std::size_t finished_ = 0;
  // Closed loop: requests sent and not finished, and those waiting for a free client.
  int64_t in_flight_ = 0;
  std::deque<std::size_t> unsent_;
  std::vector<std::size_t> released_;  // requests a finished step lets the clients send
  ProgressFn progress_;
  double front_end_s_ = 0;  // engine front end per request (profile serving.request_us)
  std::vector<StepRecord>* steps_ = nullptr;
};

}  // namespace llmsim::sim::serving
