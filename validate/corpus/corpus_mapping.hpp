// From a corpus row's published names to an llmsim situation: the catalog system and its
// device, the model, the weight mix, the software profile and the step shape. The names are
// matched by validate/data/corpus/mapping.yaml (case-insensitive regular expressions, first
// match wins). A row that cannot be put into llmsim's terms gets the reason instead, so the
// report can count what is not expressible and why.
#pragma once

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "validate/corpus/corpus_row.hpp"
#include "validate/prediction/step_case_builder.hpp"

namespace llmsim::validate {

/// A row in llmsim's terms: a decode or prefill step on one device.
struct CorpusSituation {
  std::string hardware;  // catalog id
  std::string device;    // "cpu" or "gpu": the kind of the system's device that ran it
  std::string profile;   // software profile id
  std::string phase;     // "prefill", "decode" or "batched decode"
  int threads = 0;       // CPU threads the row states (backend `threads=N`); 0 = not stated: every core
  int build = 0;         // the engine build whose kernel paths apply (profile `builds:`); 0 = the profile as written
  std::string backend;   // the backend the row ran (cuda, rocm, vulkan, metal, sycl, cpu), for its build's changes; "" = unknown
  StepSpec step;
};

struct MappedRow {
  std::optional<CorpusSituation> situation;
  std::string why_not;   // when there is no situation: what llmsim cannot express
  std::string why_kind;  // its category for the coverage table: metric, multi-device, hardware, model, ...
};

class CorpusMapping {
 public:
  /// Reads mapping.yaml; InputError naming the file and entry on a bad pattern or key.
  static CorpusMapping load(const std::string& path);

  MappedRow map(const CorpusRow& row) const;

  /// The catalog id a published hardware name maps to, or "".
  std::string hardware_id(const std::string& published) const;
  /// The model id, weight format and software profile a published name maps to, or "".
  std::string model_id(const std::string& published) const { return first_match(models_, published); }
  std::string dtype_id(const std::string& published) const { return first_match(dtypes_, published); }
  /// A software rule may also name a hardware pattern (key `hardware`): the engine's build for
  /// that vendor (vLLM's ROCm build on AMD GPUs) is then its own profile.
  std::string profile_id(const std::string& software, const std::string& backend_name,
                         const std::string& hardware) const;
  /// The serving engine release a row ran (section `releases`: "0.6.3" from "vLLM 0.6.3.post2",
  /// or the release a rule gives), for the profile's earlier-release defaults; "" = unknown.
  std::string release_of(const std::string& software) const;
  /// The catalog node system holding several of catalog device `single` (section `nodes`:
  /// "h100-sxm5-80gb" -> "dgx-h100"), or "".
  std::string node_for(const std::string& single) const;
  /// Coverage only: the hardware family of a published name ("" when no pattern matches), and
  /// whether a published model name is a mixture of experts.
  std::string family(const std::string& published_hardware) const;
  bool is_moe(const std::string& published_model) const;

 private:
  struct Rule {
    std::regex pattern;
    std::string text;  // the pattern as written, for messages
    std::string id;
    std::optional<std::regex> hardware;  // software rules only: the rule holds on this hardware only
  };
  static std::string first_match(const std::vector<Rule>& rules, const std::string& text,
                                 const std::string& hardware = "");

  // Section `builds`: which engine build a row ran, from its software and backend names.
  struct BuildRule {
    std::regex software, backend;
    int build = 0;  // 0: the build number the software name states ("b2824", "build 5298")
  };
  int build_of(const std::string& software, const std::string& backend_name) const;

  std::vector<Rule> hardware_, models_, dtypes_, software_, backends_, families_;
  std::vector<BuildRule> builds_;
  // Section `releases`: {software, release}; release `stated` reads X.Y[.Z] after the engine's name.
  struct ReleaseRule {
    std::regex software;
    std::string release;
  };
  std::vector<ReleaseRule> releases_;
  std::map<std::string, std::string> nodes_;
  std::regex moe_;
};

}  // namespace llmsim::validate
