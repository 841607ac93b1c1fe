// The vLLM profile with its `serving:` section replaced, written to a temporary file, for
// serving tests that need known host work (or none, to compare with `predict`'s kernels).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "test_paths.hpp"

namespace llmsim::test {

inline std::string vllm_profile_with_serving(const std::string& serving, const std::string& name) {
  std::ifstream in(source_dir() + "/hwmodels/profiles/vllm.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const auto begin = s.find("serving:");
  s.replace(begin, s.find("\ndevices:") - begin, serving);
  return write_temp(name, s);
}

/// The same kernels as `vllm`, no host work or front end.
inline std::string vllm_kernels_only() {
  return vllm_profile_with_serving("serving:\n  basis: none (test)\n", "vllm-kernels-only.yaml");
}

}  // namespace llmsim::test
