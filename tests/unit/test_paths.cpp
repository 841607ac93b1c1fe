#include "test_paths.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace llmsim::test {

std::string write_temp(const std::string& name, const std::string& content) {
  const auto dir = std::filesystem::temp_directory_path() / ("llmsim-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << content;
  return path.string();
}

}  // namespace llmsim::test
