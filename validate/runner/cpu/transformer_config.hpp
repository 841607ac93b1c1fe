// The shapes of a GPT-2-architecture model, read from its Hugging Face config.json
// (n_layer, n_embd, n_head, vocab_size, n_positions, layer_norm_epsilon).
#pragma once

#include <string>

namespace llmsim::bench {

struct TransformerConfig {
  std::string name;  // the config's file stem (gpt2)
  int layers = 0, hidden = 0, heads = 0, vocab = 0, positions = 0;
  float eps = 1e-5f;
  int ffn() const { return 4 * hidden; }
  int head_dim() const { return hidden / heads; }
};

/// Throws InputError naming the file and field when the config is not GPT-2-style or a
/// field is missing or out of range.
TransformerConfig read_transformer_config(const std::string& path);

}  // namespace llmsim::bench
