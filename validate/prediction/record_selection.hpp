// Which records of a measurement file belong to the system being validated or calibrated,
// and on which of its devices each ran. A record names its hardware by device.hardware_id
// (llmsim-bench --hardware-id), or by the published description of an imported figure
// (validate/data/public_names.yaml); a record from other hardware is an error, not noise.
#pragma once

#include <string>
#include <vector>

#include "hwmodels/system.hpp"
#include "measurement.pb.h"
#include "validate/prediction/public_names.hpp"

namespace llmsim::validate {

struct SelectionOptions {
  std::string software;              // profile id; "" = the one stack the records come from
  std::string device;                // device id or kind (cpu, gpu); "" = by each record's device kind
  bool skip_other_hardware = false;  // drop records of other hardware instead of failing
  bool accept_unlabelled = false;    // take records that do not say their hardware as this system's
  // Leave out records taken on a disturbed machine: other processes' share of the CPU
  // (Timing.background_load) or the kernel's own level shift within the case (Timing.drift)
  // above these. Negative: keep every record (the default). Records of runners older than
  // the drift field carry drift 0 and pass that test.
  double max_background_load = -1;
  double max_drift = -1;
};

struct SelectedRecords {
  std::vector<std::size_t> records;     // indexes into the file's records
  std::vector<std::string> device_ids;  // the system device each ran on, parallel to `records`
  std::string software;                 // profile id they are predicted with
  std::vector<std::string> notes;       // what was left out and why
};

/// InputError (naming the file and record) for a record measured on other hardware, one
/// that does not say its hardware (unless accept_unlabelled), a device the system lacks,
/// records of several software stacks with no --software, or nothing left to use. Records
/// over the disturbance limits are left out with a note, not an error.
SelectedRecords select_records(const std::vector<measurements::Measurement>& records, const std::string& file,
                               const hwmodels::System& system, const PublicNames& names,
                               const SelectionOptions& options);

/// The software profile id of a record's stack: "PyTorch 2.7.0+cu128" -> pytorch,
/// "llama.cpp 4426e298 (b2824)" -> llama.cpp, "llmsim-bench" -> llmsim-bench.
std::string software_profile_of(const measurements::Measurement& record);

/// The hardware ids a system answers to: its id and the base_system of its calibrations.
std::vector<std::string> system_aliases(const hwmodels::System& system);

/// The hardware id a record states (device.hardware_id, else its published name's id), or "".
std::string measured_hardware(const measurements::Measurement& record, const PublicNames& names);

}  // namespace llmsim::validate
