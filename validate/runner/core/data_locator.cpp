#include "validate/runner/core/data_locator.hpp"
#include "common/input_file.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "common/input_error.hpp"
#include "common/name_listing.hpp"

namespace llmsim::bench {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSuites = "validate/runner/suites";
constexpr const char* kModels = "workloads/models";

bool holds_data(const fs::path& root) { return fs::is_directory(root / kSuites); }

bool is_path(const std::string& text) {
  const auto ends_with = [&](const std::string& suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return text.find('/') != std::string::npos || ends_with(".yaml") || ends_with(".yml") || ends_with(".json");
}

}  // namespace

DataLocator::DataLocator(const std::string& argv0) {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("LLMSIM_DATA_DIR")) candidates.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  const fs::path bin_dir = ec ? fs::absolute(argv0).parent_path() : exe.parent_path();
  candidates.push_back(bin_dir / LLMSIM_BENCH_BIN_TO_DATA);
  candidates.emplace_back(LLMSIM_SOURCE_DIR);
  for (const auto& c : candidates) {
    if (holds_data(c)) {
      root_ = c.lexically_normal().string();
      return;
    }
  }
  root_ = LLMSIM_SOURCE_DIR;
}

std::vector<std::string> DataLocator::suite_names() const {
  return file_stems((fs::path(root_) / kSuites).string(), ".yaml");
}

std::string DataLocator::suite(const std::string& name_or_path) const {
  if (is_path(name_or_path)) {
    if (!is_regular_file_path(name_or_path)) throw InputError(name_or_path, "suite file not found");
    return name_or_path;
  }
  const fs::path file = fs::path(root_) / kSuites / (name_or_path + ".yaml");
  if (!fs::is_regular_file(file)) {
    throw InputError("--suite", fmt::format("unknown suite '{}'; known: {} (or give a path to a suite .yaml file)",
                                            name_or_path, join_names(suite_names())));
  }
  return file.string();
}

std::string DataLocator::model_config(const std::string& id_or_path) const {
  if (is_path(id_or_path)) {
    if (!is_regular_file_path(id_or_path)) throw InputError(id_or_path, "model config file not found");
    return id_or_path;
  }
  const fs::path file = fs::path(root_) / kModels / (id_or_path + ".json");
  if (!fs::is_regular_file(file)) {
    throw InputError("model", fmt::format("unknown model '{}'; known: {}", id_or_path,
                                          join_names(file_stems((fs::path(root_) / kModels).string(), ".json"))));
  }
  return file.string();
}

}  // namespace llmsim::bench
