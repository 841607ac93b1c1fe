#include "workloads/hf/shape_checks.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <utility>

#include "common/input_error.hpp"

namespace llmsim::workloads::hf {

void check_shapes(const ModelConfig& m, const std::string& file) {
  // Named by what they mean and by the keys configs spell them with, so the message leads to
  // the field whichever family's spelling the file uses.
  const std::pair<const char*, int64_t> fields[] = {
      {"hidden size (hidden_size / n_embd / d_model)", m.hidden},
      {"intermediate size (intermediate_size / n_inner / moe_intermediate_size)", m.intermediate},
      {"layer count (num_hidden_layers / n_layer / n_layers)", m.layers},
      {"attention heads (num_attention_heads / n_head / n_heads)", m.heads},
      {"key/value heads (num_key_value_heads / multi_query_group_num)", m.kv_heads},
      {"head dim (head_dim)", m.head_dim},
      {"vocabulary size (vocab_size)", m.vocab}};
  for (const auto& [name, value] : fields) {
    if (value <= 0) throw InputError(file, fmt::format("{} must be positive, got {}", name, value));
    if (value > 10'000'000) throw InputError(file, fmt::format("{} of {} is not a plausible model size", name, value));
  }
  if (m.layers > ModelConfig::kMaxLayers) {
    throw InputError(file, fmt::format("layer count (num_hidden_layers / n_layer / n_layers) of {} is above the {} "
                                       "layers llmsim simulates",
                                       m.layers, ModelConfig::kMaxLayers));
  }
  if (m.max_positions <= 0) {  // no upper bound: Llama 4 Scout states 10M positions
    throw InputError(file, fmt::format("positions (max_position_embeddings / n_positions / max_seq_len) must be "
                                       "positive, got {}", m.max_positions));
  }
  if (m.heads % m.kv_heads != 0) {
    throw InputError(file, fmt::format("{} attention heads are not a multiple of {} key/value heads", m.heads,
                                       m.kv_heads));
  }
  if (m.is_moe() && (m.experts_per_token <= 0 || m.experts_per_token > m.experts)) {
    throw InputError(file, fmt::format("experts per token (num_experts_per_tok / experts_per_token: {}) must be "
                                       "between 1 and the expert count ({})",
                                       m.experts_per_token, m.experts));
  }
}

}  // namespace llmsim::workloads::hf
