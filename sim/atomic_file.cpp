#include "sim/atomic_file.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hwmodels/input_error.hpp"

namespace llmsim::sim {

void write_file_atomically(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  const fs::path temp = target.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(temp, ignored);
      throw InputError(path, "cannot write file");
    }
  }
  std::error_code ec;
  fs::rename(temp, target, ec);
  if (ec) throw InputError(path, "cannot move the finished file into place: " + ec.message());
}

}  // namespace llmsim::sim
