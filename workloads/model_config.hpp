// A decoder-only transformer, normalised from whatever Hugging Face config.json
// spelled it as: the numbers lowering needs and nothing else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmsim::workloads {

enum class NormKind { rms, layer };

/// Shapes of the attention-free blocks: RWKV-6 ("Finch", Peng et al. 2024) time-mix and
/// channel-mix, and the Mamba-2 mixer (Dao and Gu 2024, mamba_ssm's Mamba2 module).
struct RecurrentShape {
  int64_t rwkv_head_size = 64;
  double rwkv_ffn_mult = 3.5;      // channel-mix hidden = mult x d
  int64_t rwkv_mix_lora = 32;      // rank of the data-dependent token-shift LoRA (5 mixes)
  int64_t rwkv_decay_lora = 64;    // rank of the decay LoRA
  std::string rwkv_kernel = "cuda";  // cuda: one fused WKV kernel; loop: a per-token loop of small ops
  int64_t mamba_d_state = 64;
  int64_t mamba_expand = 2;
  int64_t mamba_headdim = 64;
  int64_t mamba_d_conv = 4;
  int64_t mamba_ngroups = 1;
  int64_t mamba_chunk = 256;       // SSD chunk length

  int64_t mamba_inner(int64_t hidden) const { return mamba_expand * hidden; }
  int64_t mamba_heads(int64_t hidden) const { return mamba_inner(hidden) / mamba_headdim; }
  int64_t mamba_conv_dim(int64_t hidden) const { return mamba_inner(hidden) + 2 * mamba_ngroups * mamba_d_state; }
  int64_t rwkv_ffn(int64_t hidden) const { return static_cast<int64_t>(rwkv_ffn_mult * static_cast<double>(hidden)); }
};

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
  std::string activation = "gelu";  // vision_config.hidden_act (Mllama's is exact, erf-based GELU)

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

  // Per layer: attention (transformer layer), rwkv6 (time-mix + channel-mix), mamba2 (mixer),
  // or rwkv6+mamba2 (time-mix and mixer side by side, then channel-mix). Empty = attention.
  std::vector<std::string> layer_types;
  RecurrentShape recurrent;

  bool is_cross_attention_layer(int64_t layer) const;
  const std::string& layer_type(int64_t layer) const;
  bool has_recurrent_layers() const;

  int64_t gqa_ratio() const { return kv_heads > 0 ? heads / kv_heads : 1; }
  int64_t q_dim() const { return heads * head_dim; }
  int64_t kv_dim() const { return kv_heads * head_dim; }
  bool is_moe() const { return experts > 0; }
};

}  // namespace llmsim::workloads
