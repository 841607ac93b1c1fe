// Runs the steps of one prediction on its platform: lowers a step (prefill chunk, decode
// step or image encoder) with the prediction's lowering options, places it, executes it on
// SimGrid and adds its StepResult (time, typed bounds, per-device totals) to a phase. It also gathers the
// bytes and FLOPs of the phase's roofline floor. One per predict(); serve, train and Chakra
// replay execute through the same Executor (docs/architecture.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hwmodels/system.hpp"
#include "sim/device_model.hpp"
#include "sim/executor.hpp"
#include "sim/placement.hpp"
#include "sim/platform.hpp"
#include "sim/prediction.hpp"
#include "sim/step_result.hpp"
#include "sim/step_view.hpp"
#include "workloads/lowering.hpp"
#include "workloads/model_weights.hpp"

namespace llmsim::sim {

class StepRunner {
 public:
  StepRunner(Platform& platform, const Placer& placer, const workloads::ModelConfig& model,
             const workloads::ModelWeights& weights, const workloads::LoweringOptions& base,
             const std::vector<StepObserver>& observers);

  /// The step that sees `past` cached tokens and adds `fresh` ones, lowered and placed.
  PlacedStep lower_and_place(int64_t past, int64_t fresh) const;

  /// Simulates one step and adds it to `phase`.
  void simulate(const std::string& phase_name, int64_t index, int64_t steps, int64_t past, int64_t fresh,
                PhaseResult& phase);

  /// The image encoder for `images` images of `tiles` tiles per sequence.
  void simulate_vision(int64_t images, int64_t tiles, PhaseResult& phase);

  /// Sets the phase's roofline floor from what its steps read and computed since the last
  /// call: the slowest memory reading its bytes at datasheet bandwidth, or the slowest device
  /// doing its FLOPs at the matrix peak for `matrix_family`, whichever is longer.
  void finish_floor(PhaseResult& phase, const std::vector<DeviceModel>& devices, const hwmodels::System& system,
                    const std::string& matrix_family);

 private:
  void simulate_graph(const std::string& phase_name, int64_t index, int64_t steps, int64_t past, int64_t fresh,
                      const PlacedStep& step, PhaseResult& phase);
  void add_to_phase(const StepResult& r, PhaseResult& phase) const;
  void add_to_floor(const PlacedStep& step);

  Platform& platform_;
  const Placer& placer_;
  Executor executor_;
  const workloads::ModelConfig& model_;
  const workloads::ModelWeights& weights_;
  workloads::LoweringOptions base_;
  const std::vector<StepObserver>& observers_;
  std::map<std::size_t, double> floor_bytes_;  // memory -> bytes the floor counts
  std::map<std::size_t, double> floor_flops_;  // device -> FLOPs
};

}  // namespace llmsim::sim
