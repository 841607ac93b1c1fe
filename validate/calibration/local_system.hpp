// A system file for the machine llmsim-bench ran on, built from what its CPU records report
// (cores, clock, caches, memory size, vector ISA) and the fastest DRAM-sized stream it
// measured. Every number says where it came from; the CPU peak is an assumption from the
// ISA, which calibration then scales by the fitted efficiencies.
#pragma once

#include <string>
#include <vector>

#include "measurement.pb.h"

namespace llmsim::validate {

struct LocalSystemOptions {
  std::string id = "local";  // the system id; the file must be written as ID.yaml
  std::string source_file;   // the measurement file, for the sources
};

/// The YAML text of the local system. Uses CPU records with device.hardware_id empty or equal
/// to `options.id`; the thread count of the most common such records becomes the device's core
/// count (a run with --threads 1 describes one core of the machine). InputError when there is
/// no CPU record, or no DRAM-sized copy/triad to take the bandwidth from.
std::string local_system_yaml(const std::vector<measurements::Measurement>& records, const LocalSystemOptions& options);

/// FP32 FLOP per cycle per core for an ISA feature list ("avx2 fma avx512f ..."): 64 with
/// AVX-512F, 32 with AVX2 and FMA, 16 with AVX, 8 otherwise.
double fp32_flops_per_cycle(const std::string& isa_features);

}  // namespace llmsim::validate
