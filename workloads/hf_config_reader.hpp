// Reads a Hugging Face config.json into a ModelConfig. Supported architectures:
// Llama, Mistral, Mixtral, Qwen2, GPT-2, GPT-J, Gemma 2, Gemma 3 (text and the text
// tower of Gemma3ForConditionalGeneration). Missing keys take the defaults of the
// transformers configuration class, listed with their source in model_type_defaults.yaml.
#pragma once

#include <string>

#include "workloads/model_config.hpp"

namespace llmsim::workloads {

/// `defaults_file` is workloads/model_type_defaults.yaml. Throws InputError naming the
/// file and field on malformed JSON, missing fields or an unsupported architecture.
ModelConfig read_hf_config(const std::string& path, const std::string& defaults_file);

/// The architectures read_hf_config accepts, for messages and `llmsim models`.
const std::vector<std::string>& supported_architectures();

}  // namespace llmsim::workloads
