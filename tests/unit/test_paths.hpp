// Paths to the repository's data and the test fixtures.
#pragma once

#include <string>

namespace llmsim::test {

inline std::string source_dir() { return LLMSIM_SOURCE_DIR; }
inline std::string fixture(const std::string& relative) { return source_dir() + "/tests/fixtures/" + relative; }
inline std::string catalog_dir() { return source_dir() + "/hwmodels/catalog"; }
inline std::string formats_file() { return source_dir() + "/workloads/formats.yaml"; }
inline std::string models_dir() { return source_dir() + "/workloads/models"; }
inline std::string model_defaults() { return source_dir() + "/workloads/model_type_defaults.yaml"; }

/// Writes `content` to a fresh file under the build's temp directory and returns its path.
std::string write_temp(const std::string& name, const std::string& content);

}  // namespace llmsim::test
