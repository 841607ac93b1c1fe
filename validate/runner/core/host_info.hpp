// What the records say about the machine and the run: the CPU as a device (name, cores,
// caches, memory, clocks where the OS exposes them, ISA features) and the environment
// (host, OS, compiler, runner version, run id).
#pragma once

#include <string>

#include "measurement.pb.h"

namespace llmsim::bench {

/// The host CPU described as a Device (kind "cpu").
measurements::Device host_cpu_device();

/// Host, OS, compiler, runner version and a fresh run id and start time; libraries,
/// suite and command line are filled by the caller.
measurements::Environment host_environment();

/// llmsim-bench's version: project version plus the git description at configure time.
std::string runner_version();

}  // namespace llmsim::bench
