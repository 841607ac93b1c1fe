// Every weight tensor of a model (GGUF role names), with the storage format a weight
// mix gives it. Parameter counts and weight bytes come from here, so lowering and
// memory accounting agree by construction.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "workloads/model_config.hpp"
#include "workloads/storage_formats.hpp"

namespace llmsim::workloads {

struct WeightTensor {
  std::string role;  // token_embd, attn_q, ffn_down, attn_norm, attn_q.bias, ...
  int layer = -1;
  double rows = 0;   // output features
  double cols = 1;   // input features (1 for vectors)
  double copies = 1; // MoE experts
  bool is_vector = false;
  const StorageFormat* format = nullptr;

  double elements() const { return rows * cols * copies; }
  double bytes() const { return format->bytes(elements()); }
};

class ModelWeights {
 public:
  ModelWeights(const ModelConfig& model, const FormatTable& formats, const WeightMix& mix);

  /// Throws std::out_of_range for a tensor the model does not have.
  const WeightTensor& get(const std::string& role, int layer) const;
  const WeightTensor* find(const std::string& role, int layer) const;
  const std::vector<WeightTensor>& tensors() const { return tensors_; }
  /// "role=format;" for each of transformer layer `layer`'s tensors, in tensors() order: equal
  /// strings mean equally stored layers (a mix such as Q4_K_M widens some layers' tensors).
  const std::string& layer_formats(int layer) const { return layer_formats_.at(static_cast<std::size_t>(layer)); }

  double parameter_count() const;
  double bytes() const;
  /// Parameters a single token multiplies through (MoE: only its top-k experts; excludes the embedding gather).
  double active_matmul_parameters() const;
  const WeightMix& mix() const { return *mix_; }

 private:
  void add(const std::string& role, int layer, double rows, double cols, double copies = 1);
  void add_vector(const std::string& role, int layer, double size);
  void add_vision_tower(const VisionTower& vision);
  void add_recurrent_layer(int layer);
  void add_latent_attention(int layer);
  void add_deltanet(int layer);

  const ModelConfig* model_;
  const FormatTable* formats_;
  const WeightMix* mix_;
  std::vector<WeightTensor> tensors_;
  std::map<std::pair<std::string, int>, std::size_t> index_;
  std::vector<std::string> layer_formats_;  // per transformer layer, built with the tensors
};

}  // namespace llmsim::workloads
