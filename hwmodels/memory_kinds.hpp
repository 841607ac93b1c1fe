// Achievable streaming fraction of peak bandwidth per memory technology (HBM2e,
// GDDR6X, LPDDR5, ...), from published copy-bandwidth measurements where we have them.
#pragma once

#include <map>
#include <string>

#include "hwmodels/quantity.hpp"
#include "hwmodels/system.hpp"

namespace llmsim::hwmodels {

class MemoryKinds {
 public:
  /// Reads hwmodels/defaults/memory-kinds.yaml (or another file of that form).
  static MemoryKinds load(const std::string& path);

  /// Stream fraction for a memory kind; InputError listing the known kinds if absent.
  const Quantity& stream_fraction(const std::string& kind) const;
  /// Achievable bytes/s of a memory: its measured bandwidth when the system gives one,
  /// else peak x the stream fraction of its kind.
  double achievable_bytes_per_s(const Memory& memory) const;
  const std::map<std::string, std::string>& sources() const { return sources_; }

 private:
  std::map<std::string, Quantity> fractions_;
  std::map<std::string, std::string> sources_;
  std::string file_;
};

}  // namespace llmsim::hwmodels
