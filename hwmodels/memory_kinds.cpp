#include "hwmodels/memory_kinds.hpp"

#include <fmt/format.h>

#include "common/input_error.hpp"
#include "common/name_listing.hpp"
#include "common/yaml_fields.hpp"

namespace llmsim::hwmodels {

MemoryKinds MemoryKinds::load(const std::string& path) {
  YAML::Node root = load_yaml_file(path);
  YamlFields top(root, path, "");
  MemoryKinds out;
  out.file_ = path;
  for (const auto& entry : top.required("sources")) {
    out.sources_[entry.first.as<std::string>()] = entry.second.as<std::string>();
  }
  YAML::Node kinds = top.required("kinds");
  YamlFields k(kinds, path, "kinds");
  for (const auto& entry : kinds) {
    const auto kind = entry.first.as<std::string>();
    YamlFields q(k.required(kind), path, "kinds." + kind);
    Quantity fraction;
    fraction.value = q.required_number("stream_fraction", 0.01, 1.0);
    fraction.source = q.required_string("source");
    fraction.note = q.optional_string("note", "");
    q.finish();
    if (!out.sources_.count(fraction.source)) {
      throw q.error("source", fmt::format("names '{}', which is not a key of 'sources'", fraction.source));
    }
    out.fractions_[kind] = fraction;
  }
  top.finish();
  return out;
}

const Quantity& MemoryKinds::stream_fraction(const std::string& kind) const {
  auto it = fractions_.find(kind);
  if (it == fractions_.end()) {
    throw InputError(file_, fmt::format("no stream fraction for memory kind '{}'; known kinds: {}", kind,
                                        join_keys(fractions_)));
  }
  return it->second;
}

double MemoryKinds::achievable_bytes_per_s(const Memory& memory) const {
  if (memory.measured_bandwidth_gbs) return memory.measured_bandwidth_gbs->value * 1e9;
  return memory.bandwidth_bytes_per_s() * stream_fraction(memory.kind).value;
}

}  // namespace llmsim::hwmodels
