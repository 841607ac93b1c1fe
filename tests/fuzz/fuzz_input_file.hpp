// Every llmsim parser reads a path, so each harness writes the fuzzer's bytes to a file of
// the name the parser expects (in a folder of its own process) and hands it the path.
// A harness passes when the parser returns or throws InputError; any other exception,
// crash, leak or sanitizer report is a finding.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace llmsim::fuzz {

/// Writes `size` bytes to `<tmp>/llmsim-fuzz-<pid>/<name>` and returns that path.
inline std::string write_input(const std::string& name, const uint8_t* data, std::size_t size) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("llmsim-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const auto path = (dir / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace llmsim::fuzz
