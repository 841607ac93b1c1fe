#include "workloads/storage_formats.hpp"

#include <fmt/format.h>

#include <cctype>

#include <algorithm>

#include "common/input_error.hpp"
#include "common/name_listing.hpp"
#include "common/yaml_fields.hpp"

namespace llmsim::workloads {

namespace {

bool layer_selected(const std::string& selector, int layer, int layers) {
  if (selector == "all") return true;
  if (layer < 0) return false;
  if (selector == "first_eighth") return layer < layers / 8;
  // more_bits: llama.cpp's use_more_bits(i, n).
  return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

bool condition_holds(const std::string& when, const MixContext& c) {
  if (when == "always") return true;
  if (when == "gqa_ge_4") return c.gqa_ratio >= 4;
  if (when == "experts_8") return c.experts == 8;
  return c.layers == 80;  // layers_80: llama.cpp's "70B" model type
}

}  // namespace

FormatTable FormatTable::load(const std::string& path) {
  YAML::Node root = load_yaml_file(path);
  YamlFields top(root, path, "");
  FormatTable t;
  t.file_ = path;
  for (const auto& entry : top.required("sources")) {
    t.sources_[entry.first.as<std::string>()] = entry.second.as<std::string>();
  }
  YAML::Node formats = top.required("formats");
  YamlFields fmap(formats, path, "formats");
  for (const auto& entry : formats) {
    const auto name = entry.first.as<std::string>();
    YamlFields f(fmap.required(name), path, "formats." + name);
    StorageFormat sf;
    sf.name = name;
    sf.bits_per_weight = f.required_number("bits_per_weight", 0.5, 64);
    sf.family = f.required_string("family");
    sf.source = f.required_string("source");
    f.optional_string("note", "");
    f.finish();
    t.formats_[name] = sf;
  }
  YAML::Node mixes = top.required("mixes");
  YamlFields mmap(mixes, path, "mixes");
  const std::vector<std::string> selectors = {"all", "more_bits", "first_eighth"};
  const std::vector<std::string> conditions = {"always", "gqa_ge_4", "experts_8", "layers_80"};
  for (const auto& entry : mixes) {
    const auto name = entry.first.as<std::string>();
    YamlFields m(mmap.required(name), path, "mixes." + name);
    WeightMix mix;
    mix.name = name;
    mix.default_format = m.required_string("default");
    mix.vector_format = m.required_string("vectors");
    mix.source = m.required_string("source");
    if (auto rules = m.optional("rules")) {
      for (std::size_t i = 0; i < rules->size(); ++i) {
        YamlFields r((*rules)[i], path, fmt::format("mixes.{}.rules[{}]", name, i));
        MixRule rule;
        for (const auto& tensor : r.required("tensors")) rule.tensors.push_back(tensor.as<std::string>());
        rule.format = r.required_string("format");
        rule.layers = r.optional_string("layers", "all");
        rule.when = r.optional_string("when", "always");
        rule.only_from = r.optional_string("only_from", "");
        r.finish();
        if (std::find(selectors.begin(), selectors.end(), rule.layers) == selectors.end()) {
          throw r.error("layers", "must be all, more_bits or first_eighth");
        }
        if (std::find(conditions.begin(), conditions.end(), rule.when) == conditions.end()) {
          throw r.error("when", "must be always, gqa_ge_4, experts_8 or layers_80");
        }
        mix.rules.push_back(rule);
      }
    }
    m.finish();
    for (const auto* fmt_name : {&mix.default_format, &mix.vector_format}) {
      if (!t.formats_.count(*fmt_name)) throw m.error("default", fmt::format("names unknown format '{}'", *fmt_name));
    }
    for (const auto& rule : mix.rules) {
      if (!t.formats_.count(rule.format)) throw m.error("rules", fmt::format("names unknown format '{}'", rule.format));
    }
    t.mixes_[name] = mix;
  }
  top.finish();
  return t;
}

namespace {

// Names are lower case in formats.yaml; users write them as llama.cpp prints them (Q4_K_M).
std::string lower_case(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

const StorageFormat& FormatTable::format(const std::string& given) const {
  const std::string name = lower_case(given);
  auto it = formats_.find(name);
  if (it == formats_.end()) {
    throw InputError("", fmt::format("unknown storage format '{}'; known: {}", name, join_keys(formats_)));
  }
  return it->second;
}

namespace {

// Weight matrix roles an override may name (GGUF tensor names, as formats.yaml's rules use),
// and two shorthands for a layer's attention and feed-forward matrices.
const std::map<std::string, std::vector<std::string>>& override_roles() {
  static const std::map<std::string, std::vector<std::string>> roles = {
      {"attn", {"attn_q", "attn_k", "attn_v", "attn_qkv", "attn_output", "attn_q_a", "attn_q_b", "attn_kv_a_mqa", "attn_kv_b"}},
      {"ffn", {"ffn_gate", "ffn_up", "ffn_down", "ffn_gate_shexp", "ffn_up_shexp", "ffn_down_shexp"}},
      {"token_embd", {"token_embd"}}, {"output", {"output"}}, {"attn_q", {"attn_q"}}, {"attn_k", {"attn_k"}},
      {"attn_v", {"attn_v"}}, {"attn_qkv", {"attn_qkv"}}, {"attn_output", {"attn_output"}},
      {"ffn_gate", {"ffn_gate"}}, {"ffn_up", {"ffn_up"}}, {"ffn_down", {"ffn_down"}},
      {"ffn_gate_inp", {"ffn_gate_inp"}}, {"vision", {"vision"}}};
  return roles;
}

}  // namespace

const WeightMix& FormatTable::mix(const std::string& given) const {
  const std::string name = lower_case(given);
  if (const auto plus = name.find('+'); plus != std::string::npos) {
    if (auto d = derived_mixes_.find(name); d != derived_mixes_.end()) return d->second;
    WeightMix derived = mix(name.substr(0, plus));
    derived.name = name;
    std::size_t start = plus + 1;
    while (start <= name.size()) {
      const std::size_t end = std::min(name.find('+', start), name.size());
      const std::string part = name.substr(start, end - start);
      const auto eq = part.find('=');
      if (eq == std::string::npos) {
        throw InputError("--dtype", fmt::format("'{}' in dtype '{}': expected ROLE=FORMAT after '+'", part, name));
      }
      const auto roles = override_roles().find(part.substr(0, eq));
      if (roles == override_roles().end()) {
        throw InputError("--dtype", fmt::format("unknown weight role '{}' in dtype '{}'; known: {}", part.substr(0, eq),
                                                name, join_keys(override_roles())));
      }
      MixRule rule;
      rule.tensors = roles->second;
      rule.format = format(part.substr(eq + 1)).name;  // throws listing the formats
      derived.rules.push_back(rule);  // after the base mix's rules: the override wins
      start = end + 1;
    }
    return derived_mixes_.emplace(name, derived).first->second;
  }
  auto it = mixes_.find(name);
  if (it == mixes_.end()) {
    throw InputError("--dtype", fmt::format("unknown dtype '{}'; known: {}", name, join_keys(mixes_)));
  }
  return it->second;
}

void FormatTable::add_mix(const WeightMix& mix) {
  for (const auto& rule : mix.rules) format(rule.format);  // throws for a format this table lacks
  format(mix.default_format);
  format(mix.vector_format);
  mixes_[mix.name] = mix;
}

std::vector<std::string> FormatTable::mix_names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : mixes_) out.push_back(k);
  return out;
}

std::vector<std::string> FormatTable::format_names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : formats_) out.push_back(k);
  return out;
}

const StorageFormat& FormatTable::weight_format(const WeightMix& mix, const std::string& role, bool is_vector,
                                                const MixContext& context) const {
  if (is_vector) return format(mix.vector_format);
  // A tied embedding matrix is also the output projection and is quantised as such.
  const std::string effective_role = (role == "token_embd" && context.tied_embeddings) ? "output" : role;
  std::string current = mix.default_format;
  for (const auto& rule : mix.rules) {
    // "vision" names every tensor of an image encoder (roles "vision.*").
    const bool vision = effective_role.rfind("vision.", 0) == 0 &&
                        std::find(rule.tensors.begin(), rule.tensors.end(), "vision") != rule.tensors.end();
    if (!vision && std::find(rule.tensors.begin(), rule.tensors.end(), effective_role) == rule.tensors.end()) continue;
    if (!rule.layer_list.empty()) {
      if (std::find(rule.layer_list.begin(), rule.layer_list.end(), context.layer) == rule.layer_list.end()) continue;
    } else if (!layer_selected(rule.layers, context.layer, context.layers)) {
      continue;
    }
    if (!condition_holds(rule.when, context)) continue;
    if (!rule.only_from.empty() && rule.only_from != current) continue;
    current = rule.format;
  }
  return format(current);
}

}  // namespace llmsim::workloads
