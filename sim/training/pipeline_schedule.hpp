// The 1F1B pipeline schedule (PipeDream-Flush, as Megatron-LM runs it) simulated at the grain
// of one micro-batch's forward or backward on one stage: each stage runs its own ordered list
// (warm-up forwards, then one forward and one backward in turn, then the remaining backwards),
// a forward waits for the previous stage's forward of the same micro-batch plus the hand-over,
// a backward for the next stage's backward. The bubble is what the schedule leaves idle.
// The interleaved variant (Megatron's virtual pipeline, --num-layers-per-virtual-pipeline-stage)
// gives each device v model chunks; virtual stage c x p + d is chunk c on device d, and devices
// take micro-batches p at a time through each chunk in turn.
#pragma once

#include <cstdint>
#include <vector>

namespace llmsim::sim::training {

struct StageTimes {
  std::vector<double> forward;   // per stage: one micro-batch's forward, seconds
  std::vector<double> backward;  // per stage: one micro-batch's backward (recompute included)
  double send_s = 0;             // one activation (or gradient) hand-over between stages
};

struct PipelineRun {
  double seconds = 0;          // first forward start to last backward end
  double bubble_fraction = 0;  // idle share of the busiest stage over the run
  std::vector<double> busy;    // per stage
  // Per stage, the most micro-batch chunks whose forward has run and backward not yet: the
  // activations it keeps at its peak, in units of one chunk's (a stage's / v).
  std::vector<int64_t> peak_in_flight;
};

/// InputError unless there is at least one stage and one micro-batch and times are >= 0.
PipelineRun simulate_1f1b(const StageTimes& times, int64_t micro_batches);

/// The interleaved schedule with `chunks` (v) model chunks per stage, each taking 1/v of the
/// stage's times (its layers split evenly); v = 1 is plain 1F1B. InputError also when v > 1 and
/// the micro-batches are not a multiple of the stages (Megatron's requirement).
PipelineRun simulate_interleaved_1f1b(const StageTimes& times, int64_t micro_batches, int chunks);

}  // namespace llmsim::sim::training
