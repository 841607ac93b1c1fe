// Calibration of a software profile (llama.cpp, ...) from end-to-end figures measured on many
// devices (llama-bench pp/tg rows): the profile's per-class efficiencies (gpu-nvidia,
// gpu-apple, ...) are shared by every device of the class, while peaks and bandwidths stay
// each device's own, so one GPU's data improves the others' predictions. The honest error
// is leave-one-hardware-out: each device predicted by the profile fitted on the others.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "hwmodels/memory_kinds.hpp"
#include "hwmodels/software_profile.hpp"
#include "hwmodels/system.hpp"
#include "measurement.pb.h"
#include "sim/data_paths.hpp"
#include "validate/calibration/efficiency_fit.hpp"
#include "validate/calibration/error_summary.hpp"
#include "validate/prediction/public_names.hpp"
#include "validate/prediction/step_case_builder.hpp"

namespace llmsim::validate {

struct ProfileRow {
  std::string hardware;   // catalog id
  std::string test;       // pp512, tg512, ...
  std::string model;
  std::string dtype;
  std::string note;       // caveat from public_names.yaml
  ComparedFigure before;  // profile defaults
  ComparedFigure held_out;  // profile fitted without this hardware
  ComparedFigure in_sample; // profile fitted on every row
};

struct ProfileCalibration {
  std::vector<ProfileRow> rows;
  std::vector<FitParameter> parameters;
  std::vector<double> start, values;
  std::vector<bool> identified;
  std::vector<std::string> skipped;
};

class ProfileCalibrator {
 public:
  /// `software`: profile id or file.
  ProfileCalibrator(const sim::DataPaths& paths, const std::string& software);
  ProfileCalibrator(const ProfileCalibrator&) = delete;
  ProfileCalibrator& operator=(const ProfileCalibrator&) = delete;

  /// Adds the decode/prefill step records of this profile's stack whose hardware is known;
  /// the others are listed in the result's `skipped`.
  void add(const std::vector<measurements::Measurement>& records, const PublicNames& names);

  /// Fits `parameters` (names; each fitted once per device class present) and runs
  /// leave-one-hardware-out. InputError with fewer than two pieces of hardware.
  ProfileCalibration run(const std::vector<std::string>& parameters, const FitOptions& options) const;

  const hwmodels::SoftwareProfile& profile() const { return profile_; }

 private:
  std::size_t device_for(const std::string& hardware);

  sim::DataPaths paths_;
  hwmodels::SoftwareProfile profile_;
  hwmodels::MemoryKinds kinds_;
  workloads::FormatTable formats_;
  std::unique_ptr<StepCaseBuilder> steps_;
  std::deque<hwmodels::System> systems_;  // device models point into these
  DeviceTable devices_;
  std::vector<PredictionCase> cases_;
  std::vector<ProfileRow> rows_;          // parallel to cases_, figures filled by run()
  std::vector<std::string> skipped_;
};

/// The text of the profile file with each fitted class section updated (a `basis` line saying
/// where the values come from) and a header recording the fit's provenance.
std::string calibrated_profile_yaml(const hwmodels::SoftwareProfile& profile, const ProfileCalibration& result,
                                    const std::string& provenance_comment);

}  // namespace llmsim::validate
