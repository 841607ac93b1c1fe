#include "validate/corpus/corpus_mapping.hpp"

#include "hwmodels/software_profile.hpp"

#include <fmt/format.h>

#include "common/input_error.hpp"
#include "validate/corpus/corpus_text.hpp"
#include "common/yaml_fields.hpp"

namespace llmsim::validate {

namespace {

constexpr std::int64_t kDefaultGen = 128;  // llama-bench's tg128 when a decode row states no length

std::string device_of(const std::string& backend) {
  return backend == "cpu" ? "cpu" : "gpu";
}

// The case-insensitive pattern in `key` of `f`; a malformed one is refused naming the entry.
std::regex pattern_field(YamlFields& f, const char* key, std::string* text_out = nullptr) {
  const std::string text = f.required_string(key);
  if (text_out) *text_out = text;
  try {
    return std::regex(text, std::regex::icase | std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw f.error(key, fmt::format("'{}' is not a regular expression: {}", text, e.what()));
  }
}

// The backend a row's backend name says ("ROCm 7.2.3" -> rocm, "Vulkan RADV" -> vulkan), in the
// words of the profiles' build changes; "" when it names none of them.
std::string backend_tag(const std::string& backend_name) {
  static const std::pair<const char*, const char*> prefixes[] = {
      {"cuda", "cuda"}, {"rocm", "rocm"}, {"hip", "rocm"}, {"vulkan", "vulkan"},
      {"metal", "metal"}, {"sycl", "sycl"}, {"cpu", "cpu"}};
  for (const auto& [prefix, tag] : prefixes)
    if (backend_name.rfind(prefix, 0) == 0) return tag;
  return "";
}

}  // namespace

CorpusMapping CorpusMapping::load(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  YamlFields top(root, path, "");
  CorpusMapping m;
  auto read = [&](const char* section, const char* id_key, std::vector<Rule>& out) {
    const YAML::Node list = top.required(section);
    if (!list.IsSequence()) throw top.error_at(list, section, "must be a list of {match, " + std::string(id_key) + "}");
    for (std::size_t i = 0; i < list.size(); ++i) {
      YamlFields f(list[i], path, fmt::format("{}[{}]", section, i));
      Rule r;
      r.pattern = pattern_field(f, "match", &r.text);
      r.id = f.required_string(id_key);
      if (std::string(section) == "software" && f.has("hardware")) r.hardware = pattern_field(f, "hardware");
      f.optional_string("note", "");
      f.finish();
      out.push_back(std::move(r));
    }
  };
  read("hardware", "id", m.hardware_);
  read("models", "id", m.models_);
  read("dtypes", "id", m.dtypes_);
  read("software", "profile", m.software_);
  read("backends", "profile", m.backends_);
  read("families", "id", m.families_);
  if (auto builds = top.optional("builds")) {
    if (!builds->IsSequence()) throw top.error_at(*builds, "builds", "must be a list of {software, backend, build}");
    for (std::size_t i = 0; i < builds->size(); ++i) {
      YamlFields f((*builds)[i], path, fmt::format("builds[{}]", i));
      BuildRule r;
      r.software = pattern_field(f, "software");
      r.backend = pattern_field(f, "backend");
      const std::string build = f.required_string("build");
      if (build != "stated") {
        const auto n = corpus_text::positive_count(build);
        if (!n || *n > 1000000) throw f.error("build", fmt::format("expected a build number or 'stated', got '{}'", build));
        r.build = static_cast<int>(*n);
      }
      f.optional_string("note", "");
      f.finish();
      m.builds_.push_back(std::move(r));
    }
  }
  if (auto releases = top.optional("releases")) {
    if (!releases->IsSequence()) throw top.error_at(*releases, "releases", "must be a list of {software, release}");
    for (std::size_t i = 0; i < releases->size(); ++i) {
      YamlFields f((*releases)[i], path, fmt::format("releases[{}]", i));
      ReleaseRule r;
      r.software = pattern_field(f, "software");
      r.release = f.required_string("release");
      if (r.release != "stated" && !hwmodels::is_release_version(r.release)) {
        throw f.error("release", fmt::format("expected a release such as 0.6.3 or 'stated', got '{}'", r.release));
      }
      f.optional_string("note", "");
      f.finish();
      m.releases_.push_back(std::move(r));
    }
  }
  if (auto nodes = top.optional("nodes")) {
    if (!nodes->IsSequence()) throw top.error_at(*nodes, "nodes", "must be a list of {device, node}");
    for (std::size_t i = 0; i < nodes->size(); ++i) {
      YamlFields f((*nodes)[i], path, fmt::format("nodes[{}]", i));
      const std::string device = f.required_string("device");
      m.nodes_[device] = f.required_string("node");
      f.optional_string("note", "");
      f.finish();
    }
  }
  m.moe_ = pattern_field(top, "moe_models");
  top.optional_string("note", "");
  top.finish();
  return m;
}

// An entry with id `none` stops the search: the name is known and deliberately not mapped
// (a laptop variant of a desktop part, say), so a later, looser pattern must not take it.
std::string CorpusMapping::first_match(const std::vector<Rule>& rules, const std::string& text,
                                       const std::string& hardware) {
  for (const auto& r : rules) {
    if (r.hardware && !std::regex_search(hardware, *r.hardware)) continue;
    if (std::regex_search(text, r.pattern)) return r.id == "none" ? "" : r.id;
  }
  return "";
}

std::string CorpusMapping::hardware_id(const std::string& published) const { return first_match(hardware_, published); }

std::string CorpusMapping::profile_id(const std::string& software, const std::string& backend_name,
                                      const std::string& hardware) const {
  const std::string p = first_match(software_, software, hardware);
  return p.empty() ? first_match(backends_, backend_name) : p;
}

int CorpusMapping::build_of(const std::string& software, const std::string& backend_name) const {
  static const std::regex stated(R"(\b(?:b|build )(\d{3,5})\b)", std::regex::icase | std::regex::ECMAScript);
  for (const auto& r : builds_) {
    if (!std::regex_search(software, r.software) || !std::regex_search(backend_name, r.backend)) continue;
    if (r.build > 0) return r.build;
    std::smatch m;
    return std::regex_search(software, m, stated) ? std::stoi(m[1].str()) : 0;
  }
  return 0;
}

std::string CorpusMapping::release_of(const std::string& software) const {
  // The first version after the engine's name: "vLLM 0.6.3.post2.dev308" -> 0.6.3, "vLLM v0.10.0" -> 0.10.0.
  static const std::regex stated(R"(^[a-z-]+ v?(\d+\.\d+(?:\.\d+)?))", std::regex::icase | std::regex::ECMAScript);
  for (const auto& r : releases_) {
    if (!std::regex_search(software, r.software)) continue;
    if (r.release != "stated") return r.release;
    std::smatch m;
    return std::regex_search(software, m, stated) ? m[1].str() : "";
  }
  return "";
}

std::string CorpusMapping::node_for(const std::string& single) const {
  auto it = nodes_.find(single);
  return it == nodes_.end() ? "" : it->second;
}

std::string CorpusMapping::family(const std::string& published) const { return first_match(families_, published); }

bool CorpusMapping::is_moe(const std::string& published) const { return std::regex_search(published, moe_); }

MappedRow CorpusMapping::map(const CorpusRow& row) const {
  MappedRow out;
  const bool decode = row.metric == "decode_throughput";
  if (!decode && row.metric != "prefill_throughput") {
    out.why_kind = "metric " + row.metric;
    out.why_not = fmt::format("metric {}: only single-device prefill/decode step rates are predicted from the corpus "
                              "so far",
                              row.metric);
    return out;
  }
  for (const char* key : {"tp", "pp", "gpus", "ep"}) {
    if (auto it = row.flags.find(key); it != row.flags.end() && it->second != "1") {
      out.why_kind = "multi-device";
      out.why_not = fmt::format("{}={}: multi-device steps are not in the corpus step model yet", key, it->second);
      return out;
    }
  }
  CorpusSituation s;
  s.hardware = first_match(hardware_, row.hardware);
  if (s.hardware.empty()) {
    out.why_kind = "hardware not in catalog";
    out.why_not = fmt::format("hardware '{}' is not in the catalog (mapping.yaml)", row.hardware);
    return out;
  }
  s.step.model = first_match(models_, row.model);
  if (s.step.model.empty()) {
    out.why_kind = "model not in workloads/models";
    out.why_not = fmt::format("model '{}' has no config in workloads/models (mapping.yaml)", row.model);
    return out;
  }
  s.step.dtype = first_match(dtypes_, row.dtype);
  if (s.step.dtype.empty()) {
    out.why_kind = "weight format";
    out.why_not = fmt::format("weight format '{}' is not one llmsim knows (mapping.yaml)", row.dtype);
    return out;
  }
  s.profile = profile_id(row.software, row.backend_name, row.hardware);
  if (s.profile.empty()) {
    out.why_kind = "software profile";
    out.why_not = fmt::format("software '{}' has no profile (mapping.yaml)", row.software);
    return out;
  }
  s.device = device_of(row.backend_name);
  s.build = build_of(row.software, row.backend_name);
  s.backend = backend_tag(row.backend_name);
  // "threads=all" or a range is not a count: every core is assumed, as when it is not stated.
  if (auto t = row.flags.find("threads"); t != row.flags.end() && s.device == "cpu") {
    if (auto n = corpus_text::positive_count(t->second); n && *n <= 100000) s.threads = static_cast<int>(*n);
  }
  s.step.kv_dtype = "f16";  // llama-bench's and the engines' default cache type
  s.step.batch = std::max<std::int64_t>(1, row.batch.value_or(1));
  s.step.decode = decode;
  if (decode) {
    s.step.gen = std::max<std::int64_t>(1, row.gen_len.value_or(kDefaultGen));
    s.step.prompt = row.prompt_len.value_or(0);
    s.phase = s.step.batch > 1 ? "batched decode" : "decode";
  } else {
    if (!row.prompt_len || *row.prompt_len == 0) {
      out.why_kind = "shape not stated";
      out.why_not = "a prefill rate without its prompt length";
      return out;
    }
    s.step.prompt = *row.prompt_len;
    s.phase = "prefill";
    // Not a count ("ubatch=16-512" sweeps): the profile's chunk size.
    if (auto ub = row.flags.find("ubatch"); ub != row.flags.end()) {
      if (auto n = corpus_text::positive_count(ub->second)) s.step.ubatch = *n;
    }
  }
  out.situation = s;
  return out;
}

}  // namespace llmsim::validate
