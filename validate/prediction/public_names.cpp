#include "validate/prediction/public_names.hpp"

#include <fmt/format.h>

#include "common/yaml_fields.hpp"

namespace llmsim::validate {

PublicNames PublicNames::load(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  YamlFields top(root, path, "");
  PublicNames names;
  const YAML::Node hardware = top.required("hardware");
  if (!hardware.IsMap()) throw top.error_at(hardware, "hardware", "must map published names to {id, note}");
  for (const auto& entry : hardware) {
    const auto name = entry.first.as<std::string>();
    YamlFields f(entry.second, path, fmt::format("hardware[\"{}\"]", name));
    const auto id = f.required_string("id");
    names.hardware_[name] = {id, f.optional_string("note", "")};
    f.finish();
  }
  const YAML::Node models = top.required("models");
  if (!models.IsMap()) throw top.error_at(models, "models", "must map published model names to model ids");
  for (const auto& entry : models) names.models_[entry.first.as<std::string>()] = entry.second.as<std::string>();
  top.finish();
  return names;
}

std::optional<std::string> PublicNames::hardware_id(const std::string& published) const {
  auto it = hardware_.find(published);
  if (it == hardware_.end()) return std::nullopt;
  return it->second.first;
}

std::string PublicNames::hardware_note(const std::string& published) const {
  auto it = hardware_.find(published);
  return it == hardware_.end() ? "" : it->second.second;
}

std::string PublicNames::model_id(const std::string& published) const {
  auto it = models_.find(published);
  return it == models_.end() ? published : it->second;
}

}  // namespace llmsim::validate
