// Short names of the kernel classes ("gemm", "attention_decode") used on the command line,
// in suite files and in CSV/JSON exports, and their mapping to the proto enum.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "measurement.pb.h"

namespace llmsim::measurements {

/// "gemm" for KERNEL_CLASS_GEMM; "unspecified" for the zero value.
std::string kernel_class_name(KernelClass kernel);

/// The enum for a short name, or nullopt when the name is not a kernel class.
std::optional<KernelClass> kernel_class_from_name(const std::string& name);

/// Every short name, in enum order (for "known: ..." messages).
std::vector<std::string> kernel_class_names();

}  // namespace llmsim::measurements
