#include "sim/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hwmodels/input_error.hpp"

namespace llmsim::sim {

void write_file_atomically(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) throw InputError(path, "cannot create its directory: " + ec.message());
  }
  // A name of its own per process, in the same directory, so that rename() replaces the
  // target in one step: readers see the old file or the whole new one, never a part.
  const fs::path temp = target.string() + ".tmp." + std::to_string(::getpid());
  auto give_up = [&](const std::string& why) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw InputError(path, why);
  };
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) give_up("cannot write file");
  }
  // On disk before it takes the name, so that a crash of the machine cannot leave the name
  // pointing at an empty file either.
  if (const int fd = ::open(temp.c_str(), O_RDONLY); fd >= 0) {
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced) give_up("cannot write file (fsync failed)");
  }
  fs::rename(temp, target, ec);
  if (ec) give_up("cannot move the finished file into place: " + ec.message());
}

}  // namespace llmsim::sim
