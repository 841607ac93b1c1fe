#include "validate/runner/vulkan/spirv_shaders.hpp"

#include <map>

namespace llmsim::bench {

const std::vector<std::uint32_t>& spirv_shader(const std::string& name) {
  // Each .spv.inc is glslc -mfmt=c output: a braced list of 32-bit words (build tree).
  static const std::map<std::string, std::vector<std::uint32_t>> shaders = {
      {"copy", std::vector<std::uint32_t>
#include "copy.spv.inc"
      },
      {"triad", std::vector<std::uint32_t>
#include "triad.spv.inc"
      },
      {"silu", std::vector<std::uint32_t>
#include "silu.spv.inc"
      },
      {"rmsnorm", std::vector<std::uint32_t>
#include "rmsnorm.spv.inc"
      },
      {"gemv_f32", std::vector<std::uint32_t>
#include "gemv_f32.spv.inc"
      },
      {"gemv_f16", std::vector<std::uint32_t>
#include "gemv_f16.spv.inc"
      },
      {"gemv_q4_0", std::vector<std::uint32_t>
#include "gemv_q4_0.spv.inc"
      },
      {"gemm_tiled", std::vector<std::uint32_t>
#include "gemm_tiled.spv.inc"
      },
  };
  return shaders.at(name);
}

}  // namespace llmsim::bench
