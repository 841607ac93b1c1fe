// Storage formats (f16, q8_0, q4_k, ...) with their bits per weight, and the mixes
// users name with --dtype (q4_k_m puts some tensors in q6_k). Read from formats.yaml.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace llmsim::workloads {

struct StorageFormat {
  std::string name;
  double bits_per_weight = 16;  // including block scales and headers
  std::string family;           // float32, float16, bfloat16, fp8, int8, int4, ggml
  std::string source;
  double bytes(double elements) const { return elements * bits_per_weight / 8.0; }
};

/// What a mix rule may depend on: facts about the model being quantised.
struct MixContext {
  int layer = -1;        // -1 for tensors outside the layer stack
  int layers = 0;
  int gqa_ratio = 1;     // attention heads per KV head
  int experts = 0;
  bool tied_embeddings = false;
};

struct MixRule {
  std::vector<std::string> tensors;
  std::string format;
  std::string layers = "all";  // all | more_bits | first_eighth
  std::string when = "always"; // always | gqa_ge_4 | experts_8 | layers_80
  std::string only_from;       // apply only when the tensor currently has this format
  std::vector<int> layer_list; // when given, exactly these layers (-1: the tensors outside the stack); overrides `layers`
};

struct WeightMix {
  std::string name;
  std::string default_format;
  std::string vector_format;
  std::string source;
  std::vector<MixRule> rules;
};

class FormatTable {
 public:
  static FormatTable load(const std::string& path);

  /// Throws InputError listing the valid names when unknown.
  const StorageFormat& format(const std::string& name) const;
  /// A mix by name, or a mix with per-role overrides: "BASE+ROLE=FORMAT[+ROLE=FORMAT...]"
  /// ("q8_0+attn=f32" keeps attention matrices in f32; `attn` and `ffn` name every attention
  /// or feed-forward matrix role). Throws InputError naming the bad part.
  const WeightMix& mix(const std::string& name) const;
  std::vector<std::string> mix_names() const;
  /// Registers a mix built elsewhere (a GGUF file's); replaces one of the same name.
  void add_mix(const WeightMix& mix);
  std::vector<std::string> format_names() const;

  /// Format of the weight tensor `role` ("attn_v", ...) under `mix`; `is_vector` for 1-D tensors.
  const StorageFormat& weight_format(const WeightMix& mix, const std::string& role, bool is_vector,
                                     const MixContext& context) const;
  const std::map<std::string, std::string>& sources() const { return sources_; }

 private:
  std::map<std::string, StorageFormat> formats_;
  std::map<std::string, WeightMix> mixes_;
  mutable std::map<std::string, WeightMix> derived_mixes_;  // "BASE+ROLE=FORMAT" mixes built on demand
  std::map<std::string, std::string> sources_;
  std::string file_;
};

}  // namespace llmsim::workloads
