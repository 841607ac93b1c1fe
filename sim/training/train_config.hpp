// A training scenario (`llmsim train FILE.yaml`): what is trained where, how (batch,
// precision, checkpointing, compilation, data parallelism), and variants that change some of it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "workloads/training_lowering.hpp"

namespace YAML {
class Node;
}

namespace llmsim::sim::training {

struct TrainRequest {
  std::string hardware;
  std::string model;
  std::string software = "pytorch";
  std::vector<std::string> devices;  // one per data-parallel rank; empty = the first dp GPUs
  int64_t batch = 8;                 // sequences per micro-batch per rank
  int64_t seq_len = 256;
  int64_t accumulation = 1;
  std::string precision = "fp32";    // fp32 | amp-fp16 | amp-bf16 | bf16 | mixed-bf16 | fp8
  workloads::Checkpointing checkpointing = workloads::Checkpointing::none;
  bool compile = false;              // torch.compile: fused element-wise chains
  bool fused_optimizer = false;
  std::optional<bool> flash_attention;  // unset: the software profile's
  int dp = 1;
  int tp = 1;                        // tensor-parallel ranks per pipeline stage
  bool sequence_parallel = false;    // Megatron's --sequence-parallel (with tp > 1)
  int cp = 1;                        // context-parallel ranks per tensor rank (ring attention)
  int pp = 1;                        // pipeline stages (1F1B over `accumulation` micro-batches)
  int vp = 1;                        // model chunks per stage (Megatron's interleaved schedule)
  int zero = 0;                      // ZeRO stage 0-3 over the dp replicas (3 = FSDP full sharding)
  int ep = 1;                        // expert-parallel ranks per stage: tp x dp (every replica of a stage)
  int dataloader_workers = 0;
  double dataloader_s = 0.0002;      // host time to produce one micro-batch (assumed; see docs/training.md)
  std::map<std::string, int> kernels_per_op;  // overrides of the profile's kernel counts (e.g. wkv_token)
};

struct TrainVariant {
  std::string name;
  std::string description;
  TrainRequest request;
};

struct TrainConfig {
  std::string file;
  std::string name;
  std::string description;
  TrainRequest request;
  std::vector<TrainVariant> variants;
};

/// InputError with file:line for unknown keys and bad values.
TrainConfig load_train_config(const std::string& path);
/// The same from a YAML tree already read (`llmsim sweep` changes it first); `path` is for
/// messages and relative paths.
TrainConfig load_train_config(const YAML::Node& root, const std::string& path);

}  // namespace llmsim::sim::training
