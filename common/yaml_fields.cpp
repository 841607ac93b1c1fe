#include "common/yaml_fields.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "common/input_file.hpp"
#include "common/name_listing.hpp"

namespace llmsim {

namespace {

std::string located(const std::string& file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return file;
  return fmt::format("{}:{}", file, mark.line + 1);
}

}  // namespace

YamlFields::YamlFields(const YAML::Node& node, std::string file, std::string path)
    : node_(node), file_(std::move(file)), path_(std::move(path)) {
  if (!node_.IsMap()) {
    // The whole file (empty path) is described as such: "'' must be ..." named nothing.
    const std::string what = path_.empty() ? std::string("the file") : fmt::format("'{}'", path_);
    const std::string got = !node_.IsDefined() || node_.IsNull() ? "it is empty"
                            : node_.IsSequence()                 ? "got a list"
                                                                 : "got a single value";
    throw InputError(located(file_, node_), fmt::format("{} must be a mapping of key: value; {}", what, got));
  }
  // yaml-cpp keeps both entries of a repeated key and finds the first: the second would be
  // ignored without a word.
  std::map<std::string, YAML::Mark> seen;
  for (const auto& entry : node_) {
    if (!entry.first.IsScalar()) continue;
    const auto key = entry.first.Scalar();
    auto [it, fresh] = seen.emplace(key, entry.first.Mark());
    if (!fresh) {
      throw InputError(located(file_, entry.first),
                       fmt::format("key '{}' appears twice in '{}' (first at line {})", key,
                                   path_.empty() ? "<top level>" : path_, it->second.line + 1));
    }
  }
}

std::string YamlFields::child_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

bool YamlFields::has(const std::string& key) const { return static_cast<bool>(node_[key]); }

YAML::Node YamlFields::required(const std::string& key) {
  known_.insert(key);
  YAML::Node child = node_[key];
  if (!child || child.IsNull()) throw error(key, "is required but missing");
  return child;
}

std::optional<YAML::Node> YamlFields::optional(const std::string& key) {
  known_.insert(key);
  YAML::Node child = node_[key];
  if (!child || child.IsNull()) return std::nullopt;
  return child;
}

std::string YamlFields::required_string(const std::string& key) {
  YAML::Node child = required(key);
  if (!child.IsScalar()) throw error_at(child, key, "must be a text value");
  return child.as<std::string>();
}

std::string YamlFields::optional_string(const std::string& key, const std::string& fallback) {
  auto child = optional(key);
  if (!child) return fallback;
  if (!child->IsScalar()) throw error_at(*child, key, "must be a text value");
  return child->as<std::string>();
}

double YamlFields::required_number(const std::string& key, double min, double max) {
  YAML::Node child = required(key);
  double value = yaml_number(child, file_, child_path(key));
  if (!(value >= min && value <= max)) {
    throw error_at(child, key, fmt::format("must be between {} and {}, got {}", min, max, value));
  }
  return value;
}

double YamlFields::optional_number(const std::string& key, double fallback, double min, double max) {
  if (!has(key)) {
    known_.insert(key);
    return fallback;
  }
  return required_number(key, min, max);
}

int64_t YamlFields::required_integer(const std::string& key, double min, double max) {
  const double value = required_number(key, min, max);
  // A count given as 1.5 used to be truncated to 1 without a word.
  if (value != std::floor(value)) {
    throw error_at(node_[key], key, fmt::format("must be a whole number, got {}", value));
  }
  return static_cast<int64_t>(value);
}

int64_t YamlFields::optional_integer(const std::string& key, double fallback, double min, double max) {
  if (!has(key)) {
    known_.insert(key);
    return static_cast<int64_t>(fallback);
  }
  return required_integer(key, min, max);
}

bool YamlFields::optional_bool(const std::string& key, bool fallback) {
  auto child = optional(key);
  if (!child) return fallback;
  try {
    return child->as<bool>();
  } catch (const YAML::Exception&) {
    throw error_at(*child, key, "must be true or false");
  }
}

void YamlFields::finish() const {
  std::set<std::string> unknown;
  YAML::Node first_unknown;
  for (const auto& entry : node_) {
    const auto key = entry.first.as<std::string>();
    if (known_.count(key)) continue;
    if (unknown.empty()) first_unknown = entry.first;
    unknown.insert(key);
  }
  if (!unknown.empty()) {
    throw InputError(located(file_, first_unknown),
                     fmt::format("unknown key(s) {} in '{}'; allowed: {}", join_names({unknown.begin(), unknown.end()}),
                                 path_.empty() ? "<top level>" : path_, join_names({known_.begin(), known_.end()})));
  }
}

InputError YamlFields::error(const std::string& key, const std::string& message) const {
  YAML::Node child = node_[key];
  return InputError(located(file_, child && child.Mark().line >= 0 ? child : node_),
                    fmt::format("'{}' {}", child_path(key), message));
}

InputError YamlFields::error_at(const YAML::Node& node, const std::string& key, const std::string& message) const {
  return InputError(located(file_, node), fmt::format("'{}' {}", child_path(key), message));
}

namespace {

/// No llmsim format nests deeper than a few levels; a deeper file is refused before anything
/// recursive (reading, error messages) walks it.
constexpr int kMaxYamlDepth = 32;

// yaml-cpp keeps every pair of a mapping but a lookup returns the first, so a repeated key
// would silently lose its second value: refused here, with the line of the repeat.
void check_yaml_tree(const YAML::Node& node, const std::string& path, int depth) {
  if (depth > kMaxYamlDepth) {
    throw InputError(located(path, node), fmt::format("nested more than {} levels deep", kMaxYamlDepth));
  }
  if (node.IsSequence()) {
    for (const auto& item : node) check_yaml_tree(item, path, depth + 1);
  } else if (node.IsMap()) {
    std::map<std::string, int> first_line;
    for (const auto& pair : node) {
      if (!pair.first.IsScalar()) continue;
      const auto [it, fresh] = first_line.emplace(pair.first.Scalar(), pair.first.Mark().line + 1);
      if (!fresh) {
        throw InputError(located(path, pair.first), fmt::format("key '{}' appears twice in the same mapping "
                                                                "(first at line {})", it->first, it->second));
      }
      check_yaml_tree(pair.second, path, depth + 1);
    }
  }
}

void refuse_second_document(const std::string& text, const std::string& path) {
  // A second document would be ignored by Load. It is found in the text (a '---' line after
  // content), not with yaml-cpp's LoadAll, which fuzzing showed can spin on malformed input.
  std::istringstream in(text);
  bool content = false;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    const bool marker = line.rfind("---", 0) == 0 && (line.size() == 3 || line[3] == ' ' || line[3] == '\r');
    if (marker && content) {
      throw InputError(fmt::format("{}:{}", path, number), "a second YAML document starts here; llmsim reads one per file");
    }
    const auto first = line.find_first_not_of(" \t\r");
    if (!marker && first != std::string::npos && line[first] != '#') content = true;
  }
}

}  // namespace

YAML::Node load_yaml_file(const std::string& path) {
  const std::string text = read_input_file(path, kMaxConfigBytes);
  refuse_second_document(text, path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw InputError(fmt::format("{}:{}", path, e.mark.line + 1), "malformed YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw InputError(path, std::string("cannot read YAML: ") + e.what());
  }
  check_yaml_tree(root, path, 0);
  return root;
}

double yaml_number(const YAML::Node& node, const std::string& file, const std::string& path) {
  if (!node.IsScalar()) throw InputError(located(file, node), fmt::format("'{}' must be a number", path));
  double value = 0;
  try {
    value = node.as<double>();
  } catch (const YAML::Exception&) {
    throw InputError(located(file, node),
                     fmt::format("'{}' must be a number, got '{}'", path, node.as<std::string>()));
  }
  if (!std::isfinite(value)) throw InputError(located(file, node), fmt::format("'{}' must be finite", path));
  return value;
}

}  // namespace llmsim
