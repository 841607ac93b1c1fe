// The flags `llmsim validate` and `llmsim calibrate` share (--measurements, --hardware,
// --software, --device, --skip-other-hardware, --accept-unlabelled) and what they load:
// the records, the system, and the records of that system under one software stack.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "hwmodels/system.hpp"
#include "measurement.pb.h"
#include "sim/data_paths.hpp"
#include "validate/prediction/case_set.hpp"
#include "validate/prediction/public_names.hpp"
#include "validate/prediction/record_selection.hpp"

namespace llmsim::cli {

struct MeasurementFlags {
  std::string measurements;
  std::string hardware;
  std::string software;  // profile id or file; "" = the records' own
  std::string device;
  bool skip_other_hardware = false;
  bool accept_unlabelled = false;
  std::string statistic = "median";  // median | min: which of a record's timings is the figure
  double max_background_load = -1;   // leave out records over this (negative: keep all)
  double max_drift = -1;
};

/// `required`: --measurements and --hardware must be given (validate checks them itself,
/// since `validate --corpus` needs neither).
void add_measurement_flags(CLI::App& cmd, MeasurementFlags& flags, bool required = true);

/// --prior and --robust-scale, the fit's loss weights (calibrate, calibrate-profile): finite
/// and non-negative, or refused before any fit runs.
void add_fit_weight_flags(CLI::App& cmd, double& prior, double& robust_scale);

/// Everything loaded for one run; `cases` points into `system`.
struct MeasurementInputs {
  std::vector<measurements::Measurement> records;
  hwmodels::System system;
  validate::PublicNames names;
  validate::SelectedRecords selected;
  std::string software;  // what --software was (id or file), or the records' profile id
  std::unique_ptr<validate::CaseSet> cases;
};

/// Loads and selects; InputError for bad files, other hardware, unknown ids.
std::unique_ptr<MeasurementInputs> load_measurement_inputs(const sim::DataPaths& paths, const MeasurementFlags& flags);

}  // namespace llmsim::cli
