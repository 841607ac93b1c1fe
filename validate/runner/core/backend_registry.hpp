// The backends this binary knows and which of them were built in (Vulkan and CUDA are
// optional at build time). An unknown or unbuilt name is an error that lists the valid ones.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "validate/runner/core/backend.hpp"

namespace llmsim::bench {

struct BackendOptions {
  int device_index = 0;  // which Vulkan/CUDA device, in enumeration order
};

/// cpu, vulkan, cuda
std::vector<std::string> backend_names();
/// The names built into this binary.
std::vector<std::string> built_backends();

/// Throws BackendUnavailable when `name` was not built or has no usable device, and
/// std::invalid_argument for a name that is not a backend at all.
std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& options);

}  // namespace llmsim::bench
