// A model read from a GGUF file instead of a config.json: the architecture and shapes from its
// metadata ({arch}.block_count, {arch}.embedding_length, ...), and the exact storage format
// of every weight tensor from its tensor infos, as a weight mix with one rule per tensor role
// and layer group. Prediction then counts the bytes the file holds, not a mix's approximation.
#pragma once

#include <string>
#include <vector>

#include "workloads/gguf/gguf_file.hpp"
#include "workloads/model_config.hpp"
#include "workloads/storage_formats.hpp"

namespace llmsim::workloads {

struct GgufModel {
  ModelConfig config;
  WeightMix mix;                        // named "gguf:<path>"
  std::vector<std::string> unmatched;   // tensors llmsim's weight list has no role for (rope_freqs, ...)
};

/// GGUF architectures read: llama (Llama, Mistral), qwen2, qwen3, qwen3moe. InputError for
/// others (give the model's config.json instead), missing keys, or a tensor whose ggml type
/// has no storage format here.
GgufModel gguf_model(const GgufFile& file);

}  // namespace llmsim::workloads
