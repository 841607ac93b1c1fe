// The Measurement schema version this code writes and the newest it reads.
// Bump it when a field changes meaning or unit (docs/measurement-schema.md keeps the history).
#pragma once

#include <cstdint>

namespace llmsim::measurements {

inline constexpr std::uint32_t kSchemaVersion = 1;

}  // namespace llmsim::measurements
