#include "sim/serving/admission.hpp"

#include <algorithm>

#include "hwmodels/factory_registry.hpp"

namespace llmsim::sim::serving {

namespace {

class AllocateAsYouGo : public AdmissionPolicy {
 public:
  std::string name() const override { return "allocate"; }
  int64_t blocks_needed(const RequestProgress& r, int64_t tokens, const KvBlockManager& kv) const override {
    return std::max<int64_t>(kv.blocks_for(tokens) - shared_prefix_blocks(r, kv), 0);
  }
};

class ReserveAtAdmission : public AdmissionPolicy {
 public:
  std::string name() const override { return "reserve"; }
  int64_t blocks_needed(const RequestProgress& r, int64_t tokens, const KvBlockManager& kv) const override {
    const int64_t whole = r.request.prompt_tokens + r.request.output_tokens;
    return std::max<int64_t>(kv.blocks_for(std::max(tokens, whole)) - shared_prefix_blocks(r, kv), 0);
  }
};

const FactoryRegistry<AdmissionPolicy>& admission_registry() {
  static const FactoryRegistry<AdmissionPolicy> policies(
      "admission policy", "scheduler.admission",
      {
          {"allocate", [] { return std::make_unique<AllocateAsYouGo>(); }},
          {"reserve", [] { return std::make_unique<ReserveAtAdmission>(); }},
      });
  return policies;
}

}  // namespace

int64_t shared_prefix_blocks(const RequestProgress& r, const KvBlockManager& kv) {
  return r.cached_prefix / kv.block_tokens();
}

std::vector<std::string> admission_names() { return admission_registry().names(); }

std::unique_ptr<AdmissionPolicy> make_admission(const std::string& name) { return admission_registry().make(name); }

}  // namespace llmsim::sim::serving
