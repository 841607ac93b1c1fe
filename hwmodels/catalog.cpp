#include "hwmodels/catalog.hpp"
#include "common/input_file.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "common/input_error.hpp"
#include "common/name_listing.hpp"
#include "hwmodels/system_loader.hpp"

namespace llmsim::hwmodels {

namespace fs = std::filesystem;

Catalog::Catalog(std::string directory) : directory_(std::move(directory)) {}

std::vector<std::string> Catalog::ids() const { return file_stems(directory_, ".yaml"); }

System Catalog::load(const std::string& id_or_path) const {
  const bool looks_like_path = id_or_path.find('/') != std::string::npos || id_or_path.ends_with(".yaml");
  if (looks_like_path) return load_system(id_or_path);
  const fs::path file = fs::path(directory_) / (id_or_path + ".yaml");
  if (!is_regular_file_path(file.string())) {
    throw InputError("--hardware",
                     fmt::format("unknown hardware id '{}'; known ids: {}", id_or_path, join_names(ids())));
  }
  return load_system(file.string());
}

}  // namespace llmsim::hwmodels
