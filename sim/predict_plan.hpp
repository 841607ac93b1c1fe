// What predict() settles before it simulates anything: the request with its defaults filled
// in, the lowering options of the main device, the offload split, the image tiles and the
// prefill chunking. Predictor::predict builds it (predictor.cpp); the assumptions text reads
// it (prediction_assumptions.cpp), so both say the same thing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/prediction.hpp"
#include "sim/simulation_context.hpp"
#include "workloads/lowering.hpp"

namespace llmsim::sim {

struct PredictPlan {
  PredictRequest request;              // defaults filled in (placement, micro-batches, GGUF dtype)
  workloads::LoweringOptions options;  // the main device's, with batch and experts set
  std::size_t primary = 0;             // index of the main device in SimulationContext::devices
  std::vector<bool> offloaded;         // per layer: weights kept in the offload memory
  double staging = 0;                  // device bytes that stage offloaded layers
  int64_t tiles = 0;                   // image tiles per image
  int64_t context = 0;                 // prompt + gen
  int64_t chunk = 0;                   // prefill tokens per step
  int64_t chunks = 0;                  // prefill steps
  std::string chunk_basis;             // where the chunk size came from
};

/// Everything in the assumptions list of a prediction, in the order it is printed.
std::vector<std::string> prediction_assumptions(const Prediction& p, const PredictPlan& plan,
                                                const SimulationContext& setup, const Placer& placer);

}  // namespace llmsim::sim
