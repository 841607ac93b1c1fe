// A decoder-only transformer, normalised from whatever Hugging Face config.json
// spelled it as: the numbers lowering needs and nothing else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmsim::workloads {

enum class NormKind { rms, layer };

/// The image encoder of a vision-language model (Mllama): a ViT over image tiles whose
/// output, projected to the text width, is what cross-attention layers attend to.
struct VisionTower {
  int64_t hidden = 0;
  int64_t intermediate = 0;
  int64_t layers = 0;         // local transformer layers
  int64_t global_layers = 0;  // gated global layers after them
  int64_t heads = 0;
  int64_t image_size = 0;     // tile side in pixels
  int64_t patch = 0;
  int64_t max_tiles = 0;
  int64_t output_dim = 0;     // concatenated final + intermediate layer outputs, before projection
  int64_t channels = 3;
  int64_t aspect_ratios = 8;  // supported tile layouts (positional embeddings exist per layout)

  int64_t patches_per_tile() const { return (image_size / patch) * (image_size / patch); }
  /// Patches plus the class token, padded to a multiple of 8 as the encoder does.
  int64_t tokens_per_tile() const { return (patches_per_tile() + 1 + 7) / 8 * 8; }
};
enum class PositionKind { rope, learned };

struct ModelConfig {
  std::string id;            // catalog id or file stem
  std::string file;
  std::string architecture;  // e.g. LlamaForCausalLM
  std::string model_type;    // e.g. llama, gemma3_text
  std::string torch_dtype;

  int64_t hidden = 0;
  int64_t intermediate = 0;
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
  int64_t vocab = 0;
  int64_t max_positions = 0;

  bool tied_embeddings = false;
  bool gated_mlp = true;          // SwiGLU / GeGLU: gate, up, down
  std::string activation = "silu";
  NormKind norm = NormKind::rms;
  PositionKind positions = PositionKind::rope;
  int64_t rotary_dim = 0;         // dims rotated per head (GPT-J: 64); = head_dim for full RoPE
  bool qkv_bias = false;          // Qwen2, GPT-2, ...
  bool output_bias = false;       // attention output / MLP biases (GPT-2, GPT-J MLP)
  bool mlp_bias = false;
  bool lm_head_bias = false;      // GPT-J
  bool parallel_residual = false; // GPT-J: attention and MLP read the same normed input
  bool qk_norm = false;           // Gemma 3: RMSNorm on q and k per head
  bool sandwich_norm = false;     // Gemma 2/3: norms after attention and MLP too
  bool scale_embeddings = false;  // Gemma: embeddings x sqrt(hidden)

  int64_t experts = 0;            // MoE: experts per layer (0 = dense)
  int64_t experts_per_token = 0;

  // Per layer: 0 = global attention, else the sliding-window size in tokens.
  std::vector<int64_t> attention_window;

  // Vision-language models: decoder layers that cross-attend to image tokens, and the encoder.
  std::vector<int64_t> cross_attention_layers;
  std::optional<VisionTower> vision;
  int64_t extra_embedding_rows = 0;  // Mllama: 8 image/special tokens beyond the vocabulary

  bool is_cross_attention_layer(int64_t layer) const;

  int64_t gqa_ratio() const { return kv_heads > 0 ? heads / kv_heads : 1; }
  int64_t q_dim() const { return heads * head_dim; }
  int64_t kv_dim() const { return kv_heads * head_dim; }
  bool is_moe() const { return experts > 0; }
};

}  // namespace llmsim::workloads
