#include "hwmodels/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "hwmodels/input_error.hpp"
#include "hwmodels/system_loader.hpp"

namespace llmsim::hwmodels {

namespace fs = std::filesystem;

Catalog::Catalog(std::string directory) : directory_(std::move(directory)) {}

std::vector<std::string> Catalog::ids() const {
  std::vector<std::string> out;
  if (!fs::is_directory(directory_)) return out;
  for (const auto& entry : fs::directory_iterator(directory_)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") out.push_back(entry.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

System Catalog::load(const std::string& id_or_path) const {
  const bool looks_like_path = id_or_path.find('/') != std::string::npos || id_or_path.ends_with(".yaml");
  if (looks_like_path) return load_system(id_or_path);
  const fs::path file = fs::path(directory_) / (id_or_path + ".yaml");
  if (!fs::is_regular_file(file)) {
    std::string known;
    for (const auto& id : ids()) known += (known.empty() ? "" : ", ") + id;
    throw InputError("--hardware", fmt::format("unknown hardware id '{}'; known ids: {}", id_or_path, known));
  }
  return load_system(file.string());
}

}  // namespace llmsim::hwmodels
