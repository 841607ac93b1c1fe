// The compute shaders, compiled to SPIR-V by glslc at build time and embedded here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llmsim::bench {

/// SPIR-V words of shaders/<name>.comp; throws std::out_of_range for an unknown name.
const std::vector<std::uint32_t>& spirv_shader(const std::string& name);

}  // namespace llmsim::bench
