#include "sim/serving/scheduler.hpp"

#include "hwmodels/factory_registry.hpp"
#include "sim/serving/chunked_scheduler.hpp"
#include "sim/serving/continuous_scheduler.hpp"
#include "sim/serving/prefill_first_scheduler.hpp"
#include "sim/serving/static_scheduler.hpp"

namespace llmsim::sim::serving {

namespace {

const FactoryRegistry<Scheduler, const SchedulerConfig&>& scheduler_registry() {
  static const FactoryRegistry<Scheduler, const SchedulerConfig&> schedulers(
      "scheduler", "scheduler.policy",
      {
          {"static", [](const SchedulerConfig& c) { return std::make_unique<StaticScheduler>(c); }},
          {"continuous", [](const SchedulerConfig& c) { return std::make_unique<ContinuousScheduler>(c); }},
          {"chunked", [](const SchedulerConfig& c) { return std::make_unique<ChunkedScheduler>(c); }},
          {"prefill-first", [](const SchedulerConfig& c) { return std::make_unique<PrefillFirstScheduler>(c); }},
      });
  return schedulers;
}

}  // namespace

std::vector<std::string> scheduler_names() { return scheduler_registry().names(); }

std::unique_ptr<Scheduler> make_scheduler(const SchedulerConfig& config) {
  auto scheduler = scheduler_registry().make(config.policy, config);
  if (config.max_batch < 1 || config.max_batched_tokens < 1 || config.chunk_tokens < 1) {
    throw InputError("scheduler", "max_batch, max_batched_tokens and chunk_tokens must be at least 1");
  }
  make_admission(config.admission);  // names the known policies when this one is not
  if (config.preemption != "recompute" && config.preemption != "swap") {
    throw InputError("scheduler.preemption", "must be recompute or swap");
  }
  return scheduler;
}

}  // namespace llmsim::sim::serving
