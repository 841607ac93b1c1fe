#include "sim/serving/serving_run.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace llmsim::sim::serving {

namespace {

// Whether request `i` finds the shared prefix cached: hits are spread evenly so that any
// first n requests contain round(n x rate) of them (no sampling noise in a small run).
bool prefix_hit(std::size_t i, double rate) {
  return std::floor(static_cast<double>(i + 1) * rate) > std::floor(static_cast<double>(i) * rate);
}

}  // namespace

ServingRun::ServingRun(const ServeConfig& config, const SimulationContext& context,
                       const std::vector<std::unique_ptr<ServingRole>>& roles, std::vector<Request> requests,
                       ProgressFn progress, double front_end_s)
    : config_(config), entry_(*roles.back()), progress_(std::move(progress)), front_end_s_(front_end_s) {
  if (config.disaggregated) {
    decode_ = roles.front().get();
    handoff_.emplace(context, entry_, *decode_);
  }
  const auto& prefix = config.prefix_cache;
  table_.resize(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    table_[i].request = requests[i];
    if (prefix.prefix_tokens > 0 && prefix_hit(i, prefix.hit_rate)) {
      // At least the prompt's last token is computed: it produces the first output token.
      table_[i].cached_prefix = std::min(prefix.prefix_tokens, requests[i].prompt_tokens - 1);
    }
  }
  for (const auto& role : roles) {
    role_order_.push_back(role.get());
    routers_.push_back(make_router(config.router));
    // The prefix cache pins the shared prefix's whole blocks once per replica of the entry role.
    const int64_t pinned = role.get() == &entry_ ? prefix.pinned_blocks(config.block_tokens) : 0;
    for (int i = 0; i < role->count; ++i) {
      Replica r;
      r.role = role.get();
      r.scheduler = make_scheduler(config.scheduler);
      r.kv = KvBlockManager(std::max<int64_t>(role->kv_blocks - pinned, 0), config.block_tokens);
      r.stats.role = role->name;
      r.stats.kv_blocks = role->kv_blocks;
      replicas_.push_back(std::move(r));
    }
  }
  for (std::size_t i = 0; i < table_.size(); ++i) push(table_[i].request.arrival_s, Arrival{i});
}

void ServingRun::push(double time, EventBody body) { events_.push(Event{time, sequence_++, body}); }

void ServingRun::run() {
  while (!events_.empty()) {
    const Event e = events_.top();
    events_.pop();
    std::visit(
        [&](const auto& body) {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, Arrival>) {
            on_arrival(body.request, e.time);
          } else if constexpr (std::is_same_v<T, StepDone>) {
            on_step_done(body.replica, e.time);
          } else if constexpr (std::is_same_v<T, Admit>) {
            admit(body.request, e.time);
          } else if constexpr (std::is_same_v<T, Handoff>) {
            on_handoff(body.request, body.replica, e.time);
          } else {
            try_start(body.replica, e.time);  // WakeUp
          }
        },
        e.body);
  }
}

std::size_t ServingRun::route(const ServingRole& role) {
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < replicas_.size(); ++i)
    if (replicas_[i].role == &role) candidates.push_back(i);
  const auto which = static_cast<std::size_t>(std::find(role_order_.begin(), role_order_.end(), &role) -
                                              role_order_.begin());
  return routers_[which]->pick(candidates, [&](std::size_t i) {
    const auto& q = replicas_[i].queues;
    return q.waiting.size() + q.running.size() + q.swapped.size();
  });
}

void ServingRun::on_arrival(std::size_t request, double now) {
  const int64_t limit = config_.workload.max_concurrency;
  if (limit > 0 && in_flight_ >= limit) {
    unsent_.push_back(request);  // every client is waiting for an answer
    return;
  }
  send(request, now);
}

void ServingRun::send(std::size_t request, double now) {
  ++in_flight_;
  RequestProgress& r = table_[request];
  r.request.arrival_s = now;  // latency counts from the send, as the benchmark tools count it
  if (front_end_s_ > 0) {
    push(now + front_end_s_, Admit{request});
  } else {
    admit(request, now);
  }
}

void ServingRun::admit(std::size_t request, double now) {
  RequestProgress& r = table_[request];
  const std::size_t to = route(entry_);
  r.replica = static_cast<int>(to);
  replicas_[to].queues.waiting.push_back(request);
  try_start(to, now);
}

void ServingRun::on_step_done(std::size_t replica, double now) {
  apply_step(replica, now);
  // Also per step, so that a run of few, long requests shows progress between completions.
  if (progress_) progress_(finished_, table_.size());
  std::vector<std::size_t> released;
  released.swap(released_);
  for (std::size_t request : released) send(request, now);
  try_start(replica, now);
}

void ServingRun::on_handoff(std::size_t request, std::size_t replica, double now) {
  replicas_[replica].queues.waiting.push_back(request);
  try_start(replica, now);
}

void ServingRun::try_start(std::size_t i, double now) {
  Replica& r = replicas_[i];
  if (r.busy) return;
  r.current = r.scheduler->schedule(r.queues, table_, r.kv, now);
  if (r.current.empty()) {
    const double wake = r.scheduler->wake_up(r.queues, table_, now);
    if (wake > now) push(wake, WakeUp{i});
    return;
  }
  const double took = r.role->timer->seconds(r.current);
  if (steps_ != nullptr) {
    StepRecord s{i, now, now + took, 0, 0, 0};
    for (const Slot& slot : r.current.slots) {
      (slot.decode ? s.decode_sequences : s.prefill_sequences) += 1;
      s.new_tokens += slot.new_tokens;
    }
    steps_->push_back(s);
  }
  r.busy = true;
  ++r.stats.steps;
  r.stats.busy_s += took;
  push(now + took, StepDone{i});
}

void ServingRun::leave(Replica& replica, std::size_t request) {
  RequestProgress& r = table_[request];
  replica.kv.release(r.blocks);
  r.blocks = 0;
  auto& running = replica.queues.running;
  running.erase(std::remove(running.begin(), running.end(), request), running.end());
}

void ServingRun::complete(std::size_t request, double now) {
  RequestProgress& r = table_[request];
  r.finish_s = now;
  r.state = RequestState::finished;
  ++finished_;
  --in_flight_;
  if (!unsent_.empty()) {
    released_.push_back(unsent_.front());
    unsent_.pop_front();
  }
  if (progress_) progress_(finished_, table_.size());
}

// Tokens a decode step yields for `r`: one, or with speculative decoding the expected number
// accepted, carried over as credit so that whole tokens add up to the expectation.
int64_t ServingRun::accepted_tokens(RequestProgress& r) const {
  if (config_.scheduler.speculative_tokens <= 0) return 1;
  r.speculative_credit += config_.speculative.expected_tokens();
  const auto whole = static_cast<int64_t>(std::floor(r.speculative_credit));
  r.speculative_credit -= static_cast<double>(whole);
  return std::clamp<int64_t>(whole, 1, r.request.output_tokens - r.generated);
}

// Applies a finished step to its requests: tokens computed and generated, requests done or
// (on a prefill replica) handed over to a decode replica.
void ServingRun::apply_step(std::size_t i, double now) {
  Replica& rep = replicas_[i];
  rep.busy = false;
  for (const Slot& slot : rep.current.slots) {
    RequestProgress& r = table_[slot.request];
    if (slot.decode) {
      if (r.done()) continue;  // static batching's padding slot
      const int64_t accepted = accepted_tokens(r);
      r.computed += accepted;
      r.generated += accepted;
    } else {
      r.computed += slot.new_tokens;
      if (slot.produces_token) {
        r.generated += 1;
        if (r.first_token_s < 0) r.first_token_s = now;
      }
    }
    if (r.done() && r.finish_s < 0) {
      leave(rep, slot.request);
      complete(slot.request, now);
    } else if (rep.role->name == "prefill" && r.prefilled() && r.generated >= 1) {
      leave(rep, slot.request);
      r.state = RequestState::waiting;
      const std::size_t to = route(*decode_);
      r.replica = static_cast<int>(to);
      push(now + handoff_->seconds(r.computed), Handoff{slot.request, to});
    }
  }
  const double used = rep.kv.total() > 0 ? static_cast<double>(rep.kv.used()) / static_cast<double>(rep.kv.total()) : 0;
  // Sampled with a stride that doubles whenever the series fills, so a run of 10^7 steps keeps
  // a few thousand evenly spaced points instead of growing by one per step.
  auto& series = rep.stats.kv_utilisation;
  if (rep.kv_samples++ % rep.kv_stride == 0) series.emplace_back(now, used);
  if (series.size() >= 4096) {
    std::size_t kept = 0;
    for (std::size_t j = 0; j < series.size(); j += 2) series[kept++] = series[j];
    series.resize(kept);
    rep.kv_stride *= 2;
  }
}

std::vector<ReplicaStats> ServingRun::replica_stats() {
  std::vector<ReplicaStats> out;
  for (auto& rep : replicas_) {
    rep.stats.kv_blocks_peak = rep.kv.peak();
    rep.stats.preemptions = rep.scheduler->preemptions();
    auto& series = rep.stats.kv_utilisation;
    if (series.size() > 500) {  // keep the report small: every k-th point
      const std::size_t k = (series.size() + 499) / 500;
      std::vector<std::pair<double, double>> thin;
      for (std::size_t j = 0; j < series.size(); j += k) thin.push_back(series[j]);
      series = std::move(thin);
    }
    out.push_back(std::move(rep.stats));
  }
  return out;
}

}  // namespace llmsim::sim::serving
