// What `llmsim predict` answers: per-phase times and rates, what bounds them, memory,
// and every assumption behind the numbers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/energy_cost.hpp"
#include "sim/placement.hpp"
#include "workloads/memory_footprint.hpp"

namespace llmsim::sim {

struct PredictRequest {
  std::string hardware;             // catalog id or system file
  std::string device;               // cpu | gpu | npu | device id; "" = first gpu, else npu, else cpu
  std::string model;                // model id or config.json
  std::string dtype = "f16";        // weight mix (formats.yaml)
  std::string kv_dtype = "f16";     // KV cache storage format
  std::string software = "llama.cpp";
  int64_t batch = 1;
  int64_t prompt = 512;
  int64_t gen = 128;
  int tp = 1;
  int pp = 1;
  int ep = 1;                       // expert-parallel ranks (a multiple of tp; ep / tp attention groups)
  std::string routing = "uniform";  // expert routing skew: uniform, zipf:S or a histogram file
  int64_t n_cpu_moe = 0;            // routed experts of the first N layers stay in host memory
  double expert_cache_hit = 0;      // share of those experts' work served from a device-memory cache
  int64_t expert_cache_slots = 0;   // or: experts per layer cached (the hit rate follows from the routing)
  int64_t microbatches = 0;         // pipeline micro-batches; 0 = pp when the batch allows, else 1
  int64_t images = 0;               // images per sequence (vision-language models)
  int64_t image_tiles = 0;          // tiles per image; 0 = the encoder's maximum
  int replicas = 1;                 // independent copies of the placement serving side by side
  int threads = 0;                  // CPU threads the engine runs (llama.cpp -t); 0 = one per core
  int64_t ubatch = 0;               // prompt tokens per prefill chunk (llama.cpp -ub); 0 = the profile's
  bool extend_context = false;      // allow prompt + gen beyond the model's positions (RoPE models only)
  PlacementSpec placement;          // devices empty: `device` (or, with tp x pp > 1, the first GPUs)
  double usd_per_hour = 0;          // price of the hardware per hour; 0 = the system file's cloud_usd_per_hour
  std::string usd_per_hour_source;  // where that price comes from (printed with the cost)
};

/// Busy time of one device during a phase, split like the phase's bounds.
struct DeviceTime {
  double busy = 0;  // its compute stream had an op (launch included)
  std::map<std::string, double> by_bound;
};

/// What one memory holds, and whether it fits.
struct MemoryUse {
  std::string memory;
  double weights = 0;
  double kv_cache = 0;
  double activations = 0;
  double staging = 0;  // buffers for weights copied in from an offload memory
  double capacity = 0;
  double total() const { return weights + kv_cache + activations + staging; }
  bool fits() const { return total() <= capacity; }
};

/// Simulated time of one phase (all prefill chunks, or all decode steps).
struct PhaseResult {
  double seconds = 0;
  int64_t steps = 0;
  double ops = 0;
  double flops = 0;
  double bytes = 0;
  std::map<std::string, double> seconds_by_group;  // attention, mlp, norm, lm_head, embedding, other
  std::map<std::string, double> seconds_by_bound;  // launch, compute, memory:<id>, transfer, contention
  // Wall time of each collective (or lone copy) by the narrowest link kind of its slowest copy.
  std::map<std::string, double> seconds_by_link;
  std::map<std::string, DeviceTime> devices;       // by device id
  double ceiling_seconds = 0;  // the phase's roofline floor: max(flops / peak, bytes / peak bandwidth)
  std::string ceiling_basis;

  /// The bound with the largest share of the phase, "" for an empty phase.
  std::string bound() const;
  double bound_share() const;
};

struct Prediction {
  PredictRequest request;
  std::string hardware_id, hardware_name, device_id, device_kind, memory_id, model_id, architecture;
  double parameters = 0;
  PhaseResult vision;   // image encoder, before the prefill
  PhaseResult prefill;
  PhaseResult decode;
  double request_s = 0;               // vision + prefill + decode: one request end to end
  double aggregate_output_tokens_per_s = 0;  // over all replicas

  double ttft_s = 0;
  double prefill_tokens_per_s = 0;  // B*P / prefill time
  double tpot_s = 0;                // decode time / G
  double decode_tokens_per_s = 0;   // B*G / decode time
  double output_tokens_per_s = 0;   // B*G / (prefill + decode)

  workloads::MemoryFootprint memory;  // totals over all memories used
  double memory_capacity_bytes = 0;   // of the memories used
  std::vector<MemoryUse> memories;
  bool fits = true;
  std::string placement;              // what ran where, in words
  std::vector<int> offloaded_layers;
  EnergyCost energy_cost;             // energy from catalog power, cost from an hourly price

  std::vector<std::string> assumptions;

  /// The bound of the phase that dominates the request's time.
  std::string bound() const;
};

}  // namespace llmsim::sim
