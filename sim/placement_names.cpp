// The names users write for placement policies and collective algorithms (flags and files).
#include <fmt/format.h>

#include <utility>
#include <vector>

#include "common/input_error.hpp"
#include "common/name_listing.hpp"
#include "sim/placement.hpp"

namespace llmsim::sim {

namespace {

const std::vector<std::pair<PlacementPolicy, std::string>> kPolicies = {{PlacementPolicy::single, "single"},
                                                                        {PlacementPolicy::by_op_class, "by-op-class"},
                                                                        {PlacementPolicy::layer_split, "layer-split"},
                                                                        {PlacementPolicy::offload, "offload"}};

}  // namespace

std::optional<PlacementPolicy> placement_policy_named(const std::string& name) {
  for (const auto& [policy, text] : kPolicies) {
    if (text == name) return policy;
  }
  return std::nullopt;
}

std::string to_string(PlacementPolicy policy) {
  for (const auto& [p, text] : kPolicies) {
    if (p == policy) return text;
  }
  return "?";
}

std::string placement_policy_names() {
  std::vector<std::string> names;
  for (const auto& entry : kPolicies) names.push_back(entry.second);
  return join_names(names);
}

PlacementPolicy parse_placement_policy(const std::string& name, const std::string& where) {
  if (auto p = placement_policy_named(name)) return *p;
  throw InputError(where, fmt::format("unknown placement '{}'; known: {}", name, placement_policy_names()));
}

std::optional<CollectiveAlgorithm> collective_algorithm_named(const std::string& name) {
  if (name == "ring") return CollectiveAlgorithm::ring;
  if (name == "tree") return CollectiveAlgorithm::tree;
  return std::nullopt;
}

std::string to_string(CollectiveAlgorithm algorithm) { return algorithm == CollectiveAlgorithm::tree ? "tree" : "ring"; }

CollectiveAlgorithm parse_collective_algorithm(const std::string& name, const std::string& where) {
  if (auto a = collective_algorithm_named(name)) return *a;
  throw InputError(where, fmt::format("must be {}, got '{}'", kCollectiveAlgorithmNames, name));
}

}  // namespace llmsim::sim
