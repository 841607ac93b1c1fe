// Simulates one training step: lowers it (workloads/training_lowering), places the data-
// parallel ranks on devices, runs it on SimGrid, and reports throughput, MFU, memory and
// where the time goes.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/data_paths.hpp"
#include "sim/training/train_config.hpp"

namespace llmsim::sim::training {

struct TrainResult {
  TrainRequest request;
  std::string hardware_name, device, model;
  double parameters = 0;
  double step_s = 0;           // simulated step, data loading included
  double compute_step_s = 0;   // the simulated graph alone
  double dataloader_s = 0;     // host time added to the step (none when hidden behind workers)
  double tokens_per_s = 0;
  double mfu = 0;              // model FLOPs / (step time x peak of the compute dtype x devices)
  std::string mfu_basis;
  double ops = 0;
  double kernels = 0;
  std::map<std::string, double> seconds_by_phase;  // forward, backward, recompute, loss, optimizer, comm
  std::map<std::string, double> seconds_by_group;
  std::map<std::string, double> seconds_by_bound;  // launch, compute, memory, transfer
  double weights = 0, grads = 0, optimizer = 0, activations = 0, casts = 0;
  double memory_per_device = 0;
  double capacity = 0;
  bool fits = true;
  // Tensor/pipeline/data-parallel layouts (simulate_parallel_training).
  std::string layout;                  // "tp=8 x pp=2 x dp=4, ZeRO-1"
  double bubble_fraction = 0;          // idle share of the busiest pipeline stage
  double pipeline_s = 0;               // the 1F1B schedule of all micro-batches
  double dp_sync_s = 0, dp_exposed_s = 0;  // gradient reduction over replicas, and what the last backward does not hide
  double zero_gather_s = 0;            // ZeRO-3: one stage's parameter all-gather (per micro-batch, forward and backward)
  double tp_comm_s = 0;                // tensor-parallel collectives in one micro-batch (stage 0)
  double send_s = 0;                   // one stage hand-over
  std::vector<double> stage_memory;    // bytes per device on each stage
  std::vector<std::string> assumptions;
};

/// One training step; one per process (SimGrid). InputError for bad requests.
TrainResult simulate_training(const DataPaths& paths, const TrainRequest& request);

nlohmann::ordered_json to_json(const TrainResult& r);
std::string to_text(const TrainResult& r);

}  // namespace llmsim::sim::training
