#include "sim/data_paths.hpp"

#include <cstdlib>
#include <filesystem>

#include "common/input_error.hpp"

#ifndef LLMSIM_SOURCE_DIR
#define LLMSIM_SOURCE_DIR ""
#endif
#ifndef LLMSIM_INSTALL_DATADIR
#define LLMSIM_INSTALL_DATADIR "share/llmsim"
#endif

namespace llmsim::sim {

namespace fs = std::filesystem;

namespace {
bool has_data(const fs::path& root) { return fs::is_directory(root / "hwmodels" / "catalog"); }
}  // namespace

DataPaths DataPaths::discover(const char* argv0) {
  if (const char* env = std::getenv("LLMSIM_DATA_DIR"); env && *env) {
    if (!has_data(env)) throw InputError("LLMSIM_DATA_DIR", std::string("no hwmodels/catalog under ") + env);
    return DataPaths(env);
  }
  std::error_code ec;
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (ec && argv0) exe = fs::absolute(argv0);
  // <prefix>/bin/llmsim -> <prefix>/share/llmsim
  const fs::path installed = exe.parent_path().parent_path() / LLMSIM_INSTALL_DATADIR;
  if (has_data(installed)) return DataPaths(installed.string());
  if (has_data(LLMSIM_SOURCE_DIR)) return DataPaths(LLMSIM_SOURCE_DIR);
  throw InputError("", "cannot find llmsim data (looked in " + installed.string() + " and " + LLMSIM_SOURCE_DIR +
                           "); set LLMSIM_DATA_DIR");
}

}  // namespace llmsim::sim
