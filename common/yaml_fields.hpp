// Strict reading of one YAML mapping: every key read is recorded, and finish()
// rejects keys nobody asked for, so a typo in a scenario or catalog file is an
// error that names the file, the line and the valid keys instead of a silent default.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/input_error.hpp"

namespace llmsim {

/// The `max` of a number with no natural upper bound (a price, a size): any finite value a
/// file would hold passes, inf and nan do not.
inline constexpr double kNoUpperBound = 1e30;

class YamlFields {
 public:
  /// `file` is used in messages; `path` names this mapping inside the file (e.g. "devices[1]").
  YamlFields(const YAML::Node& node, std::string file, std::string path);

  bool has(const std::string& key) const;
  YAML::Node required(const std::string& key);
  std::optional<YAML::Node> optional(const std::string& key);

  std::string required_string(const std::string& key);
  std::string optional_string(const std::string& key, const std::string& fallback);
  /// Numbers must lie in [min, max]; the message says the range when they do not.
  double required_number(const std::string& key, double min, double max);
  double optional_number(const std::string& key, double fallback, double min, double max);
  /// Whole numbers in [min, max] (counts, sizes, ranks): 1.5 is refused, not truncated.
  int64_t required_integer(const std::string& key, double min, double max);
  int64_t optional_integer(const std::string& key, double fallback, double min, double max);
  bool optional_bool(const std::string& key, bool fallback);
  /// A value from a fixed set, read by `named` (text -> optional value); an error at the key's
  /// line listing `choices` otherwise. Each enum the files use is parsed here, once.
  template <class Enum, class Named>
  Enum optional_choice(const std::string& key, Enum fallback, Named named, const std::string& choices) {
    const auto node = optional(key);
    if (!node) return fallback;
    const auto text = node->as<std::string>();
    if (const auto value = named(text)) return *value;
    throw error_at(*node, key, "unknown value '" + text + "'; known: " + choices);
  }

  /// Throws InputError listing the unknown keys and the allowed ones.
  void finish() const;

  /// An error located at `node` (its line) or, with no node, at this mapping.
  InputError error(const std::string& key, const std::string& message) const;
  InputError error_at(const YAML::Node& node, const std::string& key, const std::string& message) const;

  const std::string& file() const { return file_; }
  std::string child_path(const std::string& key) const;

 private:
  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::set<std::string> known_;
};

/// Loads a YAML file, turning parse errors into InputError with file and line.
YAML::Node load_yaml_file(const std::string& path);

/// Runs `read`, which reads the YAML file `file`, turning yaml-cpp's own exceptions (a list or
/// mapping where a reader asked for text: YAML::BadConversion) into InputError with file:line.
/// Every public loader of a YAML format goes through it, so that no file can end a run with
/// an internal error (found by fuzzing, docs/reliability.md).
template <typename Read>
auto read_yaml_checked(const std::string& file, Read read) -> decltype(read()) {
  try {
    return read();
  } catch (const YAML::BadConversion& e) {
    throw InputError(e.mark.is_null() ? file : file + ":" + std::to_string(e.mark.line + 1),
                     "expected a single value here (text or a number), not a list or mapping");
  } catch (const YAML::Exception& e) {
    throw InputError(e.mark.is_null() ? file : file + ":" + std::to_string(e.mark.line + 1),
                     "unexpected YAML structure: " + e.msg);
  }
}

/// Reads a scalar as a number with a located error when it is not one.
double yaml_number(const YAML::Node& node, const std::string& file, const std::string& path);

}  // namespace llmsim
