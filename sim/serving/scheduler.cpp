#include "sim/serving/scheduler.hpp"

#include <fmt/format.h>

#include <functional>
#include <map>

#include "hwmodels/input_error.hpp"
#include "hwmodels/name_listing.hpp"
#include "sim/serving/chunked_scheduler.hpp"
#include "sim/serving/continuous_scheduler.hpp"
#include "sim/serving/static_scheduler.hpp"

namespace llmsim::sim::serving {

namespace {

using Factory = std::function<std::unique_ptr<Scheduler>(const SchedulerConfig&)>;

const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> schedulers = {
      {"static", [](const SchedulerConfig& c) { return std::make_unique<StaticScheduler>(c); }},
      {"continuous", [](const SchedulerConfig& c) { return std::make_unique<ContinuousScheduler>(c); }},
      {"chunked", [](const SchedulerConfig& c) { return std::make_unique<ChunkedScheduler>(c); }},
  };
  return schedulers;
}

}  // namespace

std::vector<std::string> scheduler_names() {
  std::vector<std::string> out;
  for (const auto& [name, factory] : registry()) out.push_back(name);
  return out;
}

std::unique_ptr<Scheduler> make_scheduler(const SchedulerConfig& config) {
  auto it = registry().find(config.policy);
  if (it == registry().end()) {
    throw InputError("scheduler.policy", fmt::format("unknown scheduler '{}'; known: {}", config.policy,
                                                     join_names(scheduler_names())));
  }
  if (config.max_batch < 1 || config.max_batched_tokens < 1 || config.chunk_tokens < 1) {
    throw InputError("scheduler", "max_batch, max_batched_tokens and chunk_tokens must be at least 1");
  }
  make_admission(config.admission);  // names the known policies when this one is not
  if (config.preemption != "recompute" && config.preemption != "swap") {
    throw InputError("scheduler.preemption", "must be recompute or swap");
  }
  return it->second(config);
}

}  // namespace llmsim::sim::serving
