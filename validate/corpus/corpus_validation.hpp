// Validation over the public corpus: every expressible row is predicted with the software
// profile's defaults, with the profile fitted on every row (in sample), and with the profile
// fitted with one group of rows left out (a source, a piece of hardware or an engine), which
// is the figure a user can expect on hardware or software llmsim has never seen. What the
// fit changes is what `llmsim calibrate-profile` fits: per profile and device class, the
// launch overhead, the GEMM and GEMV fractions and the memory kernel fraction.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "hwmodels/memory_kinds.hpp"
#include "hwmodels/software_profile.hpp"
#include "hwmodels/system.hpp"
#include "sim/data_paths.hpp"
#include "validate/calibration/efficiency_fit.hpp"
#include "validate/corpus/corpus_mapping.hpp"
#include "validate/corpus/corpus_row.hpp"

namespace llmsim::validate {

enum class CvGroup { source, hardware, engine };
/// "source" | "hardware" | "engine"; InputError naming --cv otherwise.
CvGroup parse_cv_group(const std::string& text);
std::string to_string(CvGroup g);

struct CorpusPrediction {
  const CorpusRow* row = nullptr;
  CorpusSituation situation;
  std::string family;      // device class x engine x phase ("gpu-nvidia / llama.cpp / decode")
  std::string group;       // the cross-validation group it was held out with
  double measured_s = 0;   // seconds per step (decode) or per prompt batch (prefill), from the rate
  double defaults_s = 0;   // profile as shipped
  double in_sample_s = 0;  // profile fitted on every row
  double held_out_s = 0;   // profile fitted without this row's group
};

struct CorpusReport {
  CvGroup cv = CvGroup::source;
  std::size_t rows = 0;
  std::map<const CorpusRow*, std::string> family;  // every row's hardware family (coverage)
  std::set<std::string> moe_models;                // published model names that are MoE
  std::vector<CorpusPrediction> predicted;
  std::vector<std::pair<const CorpusRow*, std::string>> not_expressible;  // row, why
  std::vector<std::string> fitted;  // "llama.cpp gpu-nvidia matmul.max_fraction 0.77 -> 0.61 (rows: ...)"
};

class CorpusValidator {
 public:
  CorpusValidator(const sim::DataPaths& paths, CorpusMapping mapping);
  CorpusValidator(const CorpusValidator&) = delete;
  CorpusValidator& operator=(const CorpusValidator&) = delete;
  ~CorpusValidator();

  /// Predicts every row of `rows` (which must outlive the report) and cross-validates by `cv`.
  /// `parameters` are the fit parameter names (fit_parameter_names()).
  CorpusReport run(const std::vector<CorpusRow>& rows, CvGroup cv, const std::vector<std::string>& parameters,
                   const FitOptions& options);

 private:
  struct ProfileFit;  // one software profile's devices, cases and fit
  ProfileFit& profile_fit(const std::string& profile);
  /// The fit's profile with the kernel-path changes of engine build `build` (0: as written).
  const hwmodels::SoftwareProfile& profile_at(ProfileFit& fit, int build, const std::string& backend);
  std::size_t device_for(ProfileFit& fit, const hwmodels::SoftwareProfile& profile, const std::string& hardware,
                         const std::string& kind, int threads, double resident_bytes);

  sim::DataPaths paths_;
  CorpusMapping mapping_;
  hwmodels::MemoryKinds kinds_;
  workloads::FormatTable formats_;
  std::unique_ptr<StepCaseBuilder> steps_;
  std::deque<hwmodels::System> systems_;
  std::map<std::string, std::unique_ptr<ProfileFit>> fits_;
};

}  // namespace llmsim::validate
