#include "sim/training/pipeline_schedule.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.hpp"

namespace llmsim::sim::training {

namespace {

struct Task {
  bool forward = true;
  int64_t micro_batch = 0;
  int chunk = 0;
};

// Megatron's order of device d's k-th forward (or backward) of micro-batch chunks: micro-batches
// p at a time through chunk 0, 1, ..., v-1 (backwards through v-1 first).
Task nth_task(bool forward, int64_t k, int p, int v) {
  const int64_t group = k / (static_cast<int64_t>(p) * v);
  const int64_t within = k % (static_cast<int64_t>(p) * v);
  const int chunk = static_cast<int>(within / p);
  return {forward, group * p + within % p, forward ? chunk : v - 1 - chunk};
}

// Device d of p: its warm-up forwards (p - d - 1 for plain 1F1B; 2(p - d - 1) + (v - 1) p
// interleaved, as Megatron), then forward/backward pairs, then the backwards still owed.
std::vector<Task> stage_order(int d, int p, int64_t m, int v) {
  const int64_t total = m * v;
  const int64_t warmup =
      std::min<int64_t>(v == 1 ? p - d - 1 : 2 * static_cast<int64_t>(p - d - 1) + static_cast<int64_t>(v - 1) * p,
                        total);
  std::vector<Task> order;
  int64_t next_f = 0, next_b = 0;
  for (; next_f < warmup; ++next_f) order.push_back(nth_task(true, next_f, p, v));
  while (next_f < total) {
    order.push_back(nth_task(true, next_f++, p, v));
    order.push_back(nth_task(false, next_b++, p, v));
  }
  while (next_b < total) order.push_back(nth_task(false, next_b++, p, v));
  return order;
}

}  // namespace

PipelineRun simulate_1f1b(const StageTimes& t, int64_t m) { return simulate_interleaved_1f1b(t, m, 1); }

PipelineRun simulate_interleaved_1f1b(const StageTimes& t, int64_t m, int v) {
  const int p = static_cast<int>(t.forward.size());
  if (p < 1 || static_cast<int>(t.backward.size()) != p || m < 1 || t.send_s < 0 || v < 1) {
    throw InputError("pipeline", fmt::format("needs at least one stage, one micro-batch, one chunk and a time per "
                                             "stage ({} stages, {} micro-batches, {} chunks)", p, m, v));
  }
  if (v > 1 && m % p != 0) {
    throw InputError("vp", fmt::format("the interleaved schedule needs the micro-batches ({}) to be a multiple of the "
                                       "{} pipeline stages", m, p));
  }
  const int stages = p * v;  // virtual stage k = chunk k / p on device k % p
  std::vector<std::vector<Task>> orders;
  for (int d = 0; d < p; ++d) orders.push_back(stage_order(d, p, m, v));
  // Finish times per virtual stage and micro-batch, -1 until simulated.
  std::vector<std::vector<double>> f_end(static_cast<std::size_t>(stages),
                                         std::vector<double>(static_cast<std::size_t>(m), -1));
  auto b_end = f_end;
  std::vector<std::size_t> next(static_cast<std::size_t>(p), 0);
  std::vector<double> free_at(static_cast<std::size_t>(p), 0.0);
  std::vector<int64_t> in_flight(static_cast<std::size_t>(p), 0);
  PipelineRun run;
  run.busy.assign(static_cast<std::size_t>(p), 0.0);
  run.peak_in_flight.assign(static_cast<std::size_t>(p), 0);
  std::size_t remaining = static_cast<std::size_t>(p) * static_cast<std::size_t>(2 * m * v);
  while (remaining > 0) {
    bool progressed = false;
    for (int d = 0; d < p; ++d) {
      const auto du = static_cast<std::size_t>(d);
      while (next[du] < orders[du].size()) {
        const Task task = orders[du][next[du]];
        const auto mb = static_cast<std::size_t>(task.micro_batch);
        const int k = task.chunk * p + d;
        const auto ku = static_cast<std::size_t>(k);
        double ready = 0;
        if (task.forward) {
          if (k > 0) {
            if (f_end[ku - 1][mb] < 0) break;
            ready = f_end[ku - 1][mb] + t.send_s;
          }
        } else if (k == stages - 1) {
          if (f_end[ku][mb] < 0) break;
          ready = f_end[ku][mb];
        } else {
          if (b_end[ku + 1][mb] < 0) break;
          ready = b_end[ku + 1][mb] + t.send_s;
        }
        const double took = (task.forward ? t.forward[du] : t.backward[du]) / v;
        const double end = std::max(ready, free_at[du]) + took;
        (task.forward ? f_end : b_end)[ku][mb] = end;
        free_at[du] = end;
        run.busy[du] += took;
        in_flight[du] += task.forward ? 1 : -1;
        run.peak_in_flight[du] = std::max(run.peak_in_flight[du], in_flight[du]);
        ++next[du];
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
