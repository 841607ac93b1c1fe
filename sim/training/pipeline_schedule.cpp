#include "sim/training/pipeline_schedule.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.hpp"

namespace llmsim::sim::training {

namespace {

struct Task {
  bool forward = true;
  int64_t micro_batch = 0;
};

// Stage s of p: min(p - s - 1, m) warm-up forwards, then forward/backward pairs, then the
// backwards still owed.
std::vector<Task> stage_order(int s, int p, int64_t m) {
  std::vector<Task> order;
  const int64_t warmup = std::min<int64_t>(p - s - 1, m);
  int64_t next_f = 0, next_b = 0;
  for (; next_f < warmup; ++next_f) order.push_back({true, next_f});
  while (next_f < m) {
    order.push_back({true, next_f++});
    order.push_back({false, next_b++});
  }
  while (next_b < m) order.push_back({false, next_b++});
  return order;
}

}  // namespace

PipelineRun simulate_1f1b(const StageTimes& t, int64_t m) {
  const int p = static_cast<int>(t.forward.size());
  if (p < 1 || static_cast<int>(t.backward.size()) != p || m < 1 || t.send_s < 0) {
    throw InputError("pipeline", fmt::format("needs at least one stage, one micro-batch and a time per stage ({} "
                                             "stages, {} micro-batches)", p, m));
  }
  std::vector<std::vector<Task>> orders;
  for (int s = 0; s < p; ++s) orders.push_back(stage_order(s, p, m));
  // Finish times, -1 until simulated.
  std::vector<std::vector<double>> f_end(static_cast<std::size_t>(p), std::vector<double>(static_cast<std::size_t>(m), -1));
  auto b_end = f_end;
  std::vector<std::size_t> next(static_cast<std::size_t>(p), 0);
  std::vector<double> free_at(static_cast<std::size_t>(p), 0.0);
  PipelineRun run;
  run.busy.assign(static_cast<std::size_t>(p), 0.0);
  std::size_t remaining = static_cast<std::size_t>(p) * static_cast<std::size_t>(2 * m);
  while (remaining > 0) {
    bool progressed = false;
    for (int s = 0; s < p; ++s) {
      const auto su = static_cast<std::size_t>(s);
      while (next[su] < orders[su].size()) {
        const Task task = orders[su][next[su]];
        const auto mb = static_cast<std::size_t>(task.micro_batch);
        double ready = 0;
        if (task.forward) {
          if (s > 0) {
            if (f_end[su - 1][mb] < 0) break;
            ready = f_end[su - 1][mb] + t.send_s;
          }
        } else if (s == p - 1) {
          if (f_end[su][mb] < 0) break;
          ready = f_end[su][mb];
        } else {
          if (b_end[su + 1][mb] < 0) break;
          ready = b_end[su + 1][mb] + t.send_s;
        }
        const double took = task.forward ? t.forward[su] : t.backward[su];
        const double end = std::max(ready, free_at[su]) + took;
        (task.forward ? f_end : b_end)[su][mb] = end;
        free_at[su] = end;
        run.busy[su] += took;
        ++next[su];
        --remaining;
        progressed = true;
      }
    }
    if (!progressed) throw InputError("pipeline", "the 1F1B schedule deadlocked (a bug: please report it)");
  }
  run.seconds = *std::max_element(free_at.begin(), free_at.end());
  const double busiest = *std::max_element(run.busy.begin(), run.busy.end());
  run.bubble_fraction = run.seconds > 0 ? 1.0 - busiest / run.seconds : 0.0;
  return run;
}

}  // namespace llmsim::sim::training
