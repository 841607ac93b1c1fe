#include "workloads/model_registry.hpp"
#include "common/input_file.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "common/input_error.hpp"
#include "common/name_listing.hpp"
#include "workloads/gguf/gguf_model.hpp"
#include "workloads/hf_config_reader.hpp"

namespace llmsim::workloads {

namespace fs = std::filesystem;

ModelRegistry::ModelRegistry(std::string models_dir, std::string defaults_file)
    : models_dir_(std::move(models_dir)), defaults_file_(std::move(defaults_file)) {}

std::vector<std::string> ModelRegistry::ids() const { return file_stems(models_dir_, ".json"); }

ModelConfig ModelRegistry::load(const std::string& id_or_path) const {
  if (id_or_path.ends_with(".gguf")) return gguf_model(read_gguf(id_or_path)).config;
  if (id_or_path.find('/') != std::string::npos || id_or_path.ends_with(".json")) {
    return read_hf_config(id_or_path, defaults_file_);
  }
  const fs::path file = fs::path(models_dir_) / (id_or_path + ".json");
  if (!is_regular_file_path(file.string())) {
    throw InputError("--model", fmt::format("unknown model id '{}'; known ids: {}", id_or_path, join_names(ids())));
  }
  return read_hf_config(file.string(), defaults_file_);
}

}  // namespace llmsim::workloads
