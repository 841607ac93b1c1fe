// The selected records of one system turned into PredictionCases: kernels as single ops,
// model ops as the lowered op of the same name, steps as their lowered ops. Holds the device
// models (profile or calibration in force) they are predicted on, and lists what it could
// not express, with the reason.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hwmodels/memory_kinds.hpp"
#include "hwmodels/software_profile.hpp"
#include "hwmodels/system.hpp"
#include "measurement.pb.h"
#include "sim/data_paths.hpp"
#include "validate/calibration/efficiency_fit.hpp"
#include "validate/prediction/public_names.hpp"
#include "validate/prediction/record_selection.hpp"
#include "validate/prediction/step_case_builder.hpp"
#include "workloads/storage_formats.hpp"

namespace llmsim::validate {

class CaseSet {
 public:
  /// `system` must outlive the set (device models point into it). `software` is a profile id
  /// or a profile file.
  CaseSet(const sim::DataPaths& paths, const hwmodels::System& system, const std::string& software);
  CaseSet(const CaseSet&) = delete;
  CaseSet& operator=(const CaseSet&) = delete;

  /// Adds a case per selected record it can express; the others go to skipped(). The measured
  /// time is the record's median, or with `fastest` its fastest sample (min_s): the machine at
  /// its quietest, for machines shared with other work.
  void add(const std::vector<measurements::Measurement>& records, const SelectedRecords& selected,
           const PublicNames& names, bool fastest = false);

  const DeviceTable& devices() const { return devices_; }
  const std::vector<PredictionCase>& cases() const { return cases_; }
  const std::vector<std::string>& skipped() const { return skipped_; }
  const hwmodels::SoftwareProfile& profile() const { return profile_; }
  const hwmodels::System& system() const { return system_; }

 private:
  std::size_t device_index(const std::string& id);

  const hwmodels::System& system_;
  hwmodels::SoftwareProfile profile_;
  hwmodels::MemoryKinds kinds_;
  workloads::FormatTable formats_;
  std::unique_ptr<StepCaseBuilder> steps_;
  DeviceTable devices_;
  std::vector<std::string> device_ids_;
  std::vector<PredictionCase> cases_;
  std::vector<std::string> skipped_;
};

/// The step a decode/prefill/op record asks for, in llmsim's names: llmsim-bench steps at their
/// cached tokens with an f32 KV cache; llama-bench tgN rows averaged over N steps from an empty
/// cache, ppN rows the whole prompt, with llama.cpp's default f16 KV cache.
StepSpec step_spec_of(const measurements::Measurement& record, const PublicNames& names);

/// The statistics class of a record: its kernel class, "op <kind>" for ops of a model step,
/// and "<class> (in cache)" for kernels whose working set fits in the last-level cache.
std::string statistics_class(const measurements::Measurement& record);

}  // namespace llmsim::validate
