#include "sim/sweep/sweep_scenario.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "common/yaml_fields.hpp"

namespace llmsim::sim::sweep {

namespace {

const char* const kTrainOnlyKeys[] = {"seq_len",         "precision",         "accumulation", "checkpointing",
                                      "compile",         "fused_optimizer",   "flash_attention", "dp",
                                      "dataloader",      "kernels_per_op",    "sequence_parallel", "cp", "vp"};

ScenarioKind guess_kind(const YAML::Node& root) {
  if (!root.IsMap()) return ScenarioKind::kRun;  // the loader will say what is wrong
  if (root["workload"]) return ScenarioKind::kServe;
  for (const char* key : kTrainOnlyKeys) {
    if (root[key]) return ScenarioKind::kTrain;
  }
  return ScenarioKind::kRun;
}

}  // namespace

std::string kind_name(ScenarioKind kind) {
  switch (kind) {
    case ScenarioKind::kRun:
      return "run";
    case ScenarioKind::kServe:
      return "serve";
    case ScenarioKind::kTrain:
      return "train";
  }
  return "run";
}

ScenarioKind parse_kind(const std::string& name) {
  if (name == "run") return ScenarioKind::kRun;
  if (name == "serve") return ScenarioKind::kServe;
  if (name == "train") return ScenarioKind::kTrain;
  throw InputError("--kind", fmt::format("'{}' must be auto, run, serve or train", name));
}

SweepScenario::SweepScenario(const std::string& path, const std::string& kind) : path_(path) {
  content_ = read_input_file(path, kMaxConfigBytes);
  root_ = load_yaml_file(path);
  kind_ = kind == "auto" ? guess_kind(root_) : parse_kind(kind);
  if (kind_ != ScenarioKind::kServe && root_.IsMap() && root_["variants"] && root_["variants"].IsSequence()) {
    for (const auto& v : root_["variants"]) {
      if (v.IsMap() && v["name"] && v["name"].IsScalar()) variants_.push_back(v["name"].as<std::string>());
    }
  }
}

void set_dotted(YAML::Node root, const std::string& key, const std::string& value, const std::string& file) {
  YAML::Node node;
  node.reset(root);
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) throw InputError("--set", fmt::format("'{}' has an empty component", key));
    if (!node.IsMap() && !node.IsNull()) {
      throw InputError(file, fmt::format("--set {}: '{}' is not a mapping, so it has no key '{}'", key,
                                         key.substr(0, start - 1), part));
    }
    if (dot == std::string::npos) {
      node[part] = value;
      return;
    }
    YAML::Node child = node[part];
    if (!child) {
      node[part] = YAML::Node(YAML::NodeType::Map);
      child = node[part];
    }
    node.reset(child);
    start = dot + 1;
  }
}

YAML::Node SweepScenario::tree_for(const SweepPoint& point) const {
  YAML::Node tree = YAML::Clone(root_);
  for (const auto& [key, value] : point) {
    if (key != "variant") continue;
    if (variants_.empty()) throw InputError("--set", "variant: the scenario has no variants to choose from");
    YAML::Node chosen;
    bool found = false;
    for (const auto& v : tree["variants"]) {
      if (!found && v["name"] && v["name"].as<std::string>() == value) {
        chosen.reset(v);
        found = true;
      }
    }
    if (!found) {
      std::string names;
      for (const auto& n : variants_) names += (names.empty() ? "" : ", ") + n;
      throw InputError("--set",
                       fmt::format("variant: '{}' is not a variant of {} (variants: {})", value, path_, names));
    }
    // A variant changes the fields it names; its placement replaces the scenario's whole,
    // as the loaders read variants.
    for (const auto& entry : chosen) {
      const auto k = entry.first.as<std::string>();
      if (k != "name" && k != "description") tree[k] = YAML::Clone(entry.second);
    }
    tree.remove("variants");
  }
  for (const auto& [key, value] : point) {
    if (key != "variant") set_dotted(tree, key, value, path_);
  }
  return tree;
}

}  // namespace llmsim::sim::sweep
