// libFuzzer harness: see parse_targets.hpp for what sweep_manifest reads and what counts as a finding.
#include "tests/fuzz/parse_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  llmsim::fuzz::sweep_manifest(data, size);
  return 0;
}
