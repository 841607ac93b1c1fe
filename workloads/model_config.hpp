// A decoder-only transformer, normalised from whatever Hugging Face config.json
// spelled it as: the numbers lowering needs and nothing else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmsim::workloads {

// The block a layer runs: attention (transformer layer), deltanet (Gated DeltaNet in place of
// attention, then the MLP), mamba1 (HF Mamba mixer), mamba2 (mixer), rwkv4 (HF RWKV block),
// rwkv6 (time-mix + channel-mix), rwkv6_mamba2 (time-mix and mixer side by side, then
// channel-mix; named "rwkv6+mamba2" in files).
enum class LayerType { attention, deltanet, mamba1, mamba2, rwkv4, rwkv6, rwkv6_mamba2 };
std::string to_string(LayerType type);
std::optional<LayerType> layer_type_named(const std::string& name);
/// The names llmsim's own model format accepts in `layer_types` (the recurrent family's).
std::vector<std::string> llmsim_layer_type_names();


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
  // Mamba-1 (HF MambaForCausalLM): selective scan with a per-channel state of mamba_d_state and
  // a low-rank time step (x_proj -> dt_rank -> dt_proj); the mixer is expand x hidden wide.
  int64_t mamba1_dt_rank = 0;
  // RWKV-4 (HF RwkvForCausalLM): per-channel WKV (numerator, denominator, max: 3 values of
  // state per channel), static token-shift mixes, no LoRA and no output gate.
  int64_t rwkv4_attention_hidden = 0;
  int64_t rwkv4_ffn = 0;

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
enum class PositionKind { rope, learned, alibi };  // alibi: a per-head bias on scores (MPT), no table

/// Multi-head latent attention (DeepSeek-V2/V3): keys and values are compressed into one
/// kv_lora_rank-wide latent per token plus a shared rotary key, which is all the cache keeps.
struct LatentAttention {
  int64_t q_lora_rank = 0;  // 0: queries projected straight from the hidden state (V2-Lite)
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  /// Values cached per token and layer: the latent plus the shared rotary key.
  int64_t cached_values() const { return kv_lora_rank + qk_rope_head_dim; }
};

/// Gated DeltaNet linear attention (Qwen3-Next): per value head a key_dim x value_dim state.
struct DeltaNetShape {
  int64_t key_heads = 0;
  int64_t value_heads = 0;
  int64_t key_dim = 0;
  int64_t value_dim = 0;
  int64_t conv_kernel = 4;
  int64_t qkv_width() const { return 2 * key_heads * key_dim + value_heads * value_dim; }
};

struct ModelConfig {
  std::string id;            // catalog id or file stem
  std::string file;
  std::string architecture;  // e.g. LlamaForCausalLM
  std::string model_type;    // e.g. llama, gemma3_text
  std::string torch_dtype;
  std::vector<std::string> notes;  // what the reader left out or assumed, printed with predictions

  /// Layers a model may have: the largest published have ~130; each layer becomes tens of ops
  /// per step, so a config claiming 10^7 would build a graph of gigabytes (docs/reliability.md).
  static constexpr int64_t kMaxLayers = 4096;

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
  int64_t experts_per_token = 0;  // routed experts per token; `intermediate` is one expert's width
  int64_t shared_expert_intermediate = 0;  // always-active shared expert(s), total width (0 = none)
  bool shared_expert_gate = false;         // Qwen2-MoE: a sigmoid gate scales the shared expert
  int64_t dense_intermediate = 0;          // width of the dense MLP in layers without experts
  std::vector<bool> moe_layers;            // per layer: routed experts here (empty = all layers when MoE)
  std::optional<LatentAttention> mla;
  std::optional<DeltaNetShape> deltanet;
  bool attention_output_gate = false;      // Qwen3-Next: q_proj also yields a sigmoid gate on the output

  // Per layer: 0 = global attention, > 0 the sliding-window size in tokens, < 0 chunked
  // attention (Llama 4) in chunks of -value tokens: a token sees its own chunk only.
  std::vector<int64_t> attention_window;

  // Vision-language models: decoder layers that cross-attend to image tokens, and the encoder.
  std::vector<int64_t> cross_attention_layers;
  std::optional<VisionTower> vision;
  int64_t extra_embedding_rows = 0;  // Mllama: 8 image/special tokens beyond the vocabulary

  // Per layer (LayerType); empty = every layer attention.
  std::vector<LayerType> layer_types;
  RecurrentShape recurrent;

  bool is_cross_attention_layer(int64_t layer) const;
  LayerType layer_type(int64_t layer) const;
  bool has_recurrent_layers() const;

  int64_t gqa_ratio() const { return kv_heads > 0 ? heads / kv_heads : 1; }
  int64_t q_dim() const { return heads * head_dim; }
  int64_t kv_dim() const { return kv_heads * head_dim; }
  bool is_moe() const { return experts > 0; }
  /// Whether layer `layer` routes to experts (false in dense layers of an MoE model).
  bool is_moe_layer(int64_t layer) const;
  /// Width of layer `layer`'s MLP: one expert's in MoE layers, the dense MLP's elsewhere.
  int64_t mlp_width(int64_t layer) const;
  /// Values the cache keeps per token in layer `layer` (K and V, the MLA latent, or 0 for
  /// recurrent layers whose state does not grow with the context).
  int64_t cached_values_per_token(int64_t layer) const;
  /// Positions layer `layer` keeps for a `context`-token sequence (window and chunk limits).
  int64_t cached_positions(int64_t layer, int64_t context) const;
};

}  // namespace llmsim::workloads
