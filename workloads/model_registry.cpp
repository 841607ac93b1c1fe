#include "workloads/model_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "hwmodels/input_error.hpp"
#include "workloads/hf_config_reader.hpp"

namespace llmsim::workloads {

namespace fs = std::filesystem;

ModelRegistry::ModelRegistry(std::string models_dir, std::string defaults_file)
    : models_dir_(std::move(models_dir)), defaults_file_(std::move(defaults_file)) {}

std::vector<std::string> ModelRegistry::ids() const {
  std::vector<std::string> out;
  if (!fs::is_directory(models_dir_)) return out;
  for (const auto& entry : fs::directory_iterator(models_dir_)) {
    if (entry.path().extension() == ".json") out.push_back(entry.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

ModelConfig ModelRegistry::load(const std::string& id_or_path) const {
  if (id_or_path.find('/') != std::string::npos || id_or_path.ends_with(".json")) {
    return read_hf_config(id_or_path, defaults_file_);
  }
  const fs::path file = fs::path(models_dir_) / (id_or_path + ".json");
  if (!fs::is_regular_file(file)) {
    std::string known;
    for (const auto& id : ids()) known += (known.empty() ? "" : ", ") + id;
    throw InputError("--model", fmt::format("unknown model id '{}'; known ids: {}", id_or_path, known));
  }
  return read_hf_config(file.string(), defaults_file_);
}

}  // namespace llmsim::workloads
