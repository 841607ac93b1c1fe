#include "common/name_listing.hpp"
#include "common/input_file.hpp"

#include <algorithm>
#include <filesystem>

namespace llmsim {

std::vector<std::string> file_stems(const std::string& directory, const std::string& extension) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  if (!is_directory_path(directory)) return out;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().extension() == extension) out.push_back(entry.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace llmsim
