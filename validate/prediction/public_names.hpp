// Hardware and model names as published figures write them ("NVIDIA GeForce RTX 4090 24GB
// (GDDR6X)", "Meta-Llama-3-8B"), mapped to llmsim ids by validate/data/public_names.yaml.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace llmsim::validate {

class PublicNames {
 public:
  /// Reads the mapping file; InputError naming the file and entry when malformed.
  static PublicNames load(const std::string& path);

  /// Catalog id for a published hardware description, or nullopt when it is not listed.
  std::optional<std::string> hardware_id(const std::string& published) const;
  /// The caveat noted for that description ("" when none).
  std::string hardware_note(const std::string& published) const;
  /// Model id for a published model name; the name itself when it is not listed.
  std::string model_id(const std::string& published) const;

 private:
  std::map<std::string, std::pair<std::string, std::string>> hardware_;  // name -> (id, note)
  std::map<std::string, std::string> models_;
};

}  // namespace llmsim::validate
