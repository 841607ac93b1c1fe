// Small helpers for "unknown X; known: a, b, c" messages and for data directories
// holding one file per id.
#pragma once

#include <string>
#include <vector>

namespace llmsim {

/// Stems of the regular files in `directory` ending in `extension` (".yaml"), sorted;
/// empty when the directory does not exist.
std::vector<std::string> file_stems(const std::string& directory, const std::string& extension);

/// "a, b, c"
std::string join_names(const std::vector<std::string>& names);

/// The keys of a map, joined.
template <class Map>
std::string join_keys(const Map& map) {
  std::vector<std::string> keys;
  for (const auto& entry : map) keys.push_back(entry.first);
  return join_names(keys);
}

}  // namespace llmsim
