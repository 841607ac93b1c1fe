// Training layouts at cluster scale: tensor parallelism inside each pipeline stage, a 1F1B
// pipeline over the stages, and data-parallel replicas with ZeRO-0..3 sharding.
// One micro-batch of one replica is lowered and run on SimGrid (its tensor collectives and
// stage hand-overs on the real links), the pipeline schedule is simulated from the stages'
// times (sim/training/pipeline_schedule), and the replicas' gradient reduction (and ZeRO-3's
// parameter gathers) run as SimGrid collectives over every device of the layout.
#pragma once

#include "sim/data_paths.hpp"
#include "sim/training/trainer.hpp"
#include "workloads/training_lowering.hpp"

namespace llmsim::sim::training {

struct StateBytes {
  double weights = 0, grads = 0, optimizer = 0;
  double total() const { return weights + grads + optimizer; }
};

/// Parameter, gradient and AdamW bytes one device keeps for `params` parameters (its stage's
/// share over the tensor ranks) under ZeRO stage `zero` over `dp` replicas: stage 1 shards
/// the moments and master copy, 2 also the gradients, 3 also the parameters.
StateBytes state_bytes(double params, const workloads::PrecisionBytes& p, int zero, int dp);

/// tp x pp x dp devices (the first ones, or `devices`), ranks ordered tensor-fastest, then
/// stage, then replica. InputError on a layout the model or system cannot take.
TrainResult simulate_parallel_training(const DataPaths& paths, const TrainRequest& request);

}  // namespace llmsim::sim::training
