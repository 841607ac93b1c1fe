#include "sim/training/train_config.hpp"

#include <filesystem>

#include "hwmodels/software_profile.hpp"
#include "common/yaml_fields.hpp"

namespace llmsim::sim::training {

namespace {

void read_request(YamlFields& f, const std::filesystem::path& base, TrainRequest& r) {
  auto path_like = [&](const std::string& v) {
    return v.find('/') == std::string::npos ? v : (base / v).lexically_normal().string();
  };
  if (f.has("hardware") || r.hardware.empty()) r.hardware = path_like(f.required_string("hardware"));
  if (f.has("model") || r.model.empty()) r.model = path_like(f.required_string("model"));
  r.software = f.optional_string("software", r.software);
  if (auto devices = f.optional("devices")) {
    if (!devices->IsSequence()) throw f.error_at(*devices, "devices", "must be a list of device ids");
    r.devices.clear();
    for (const auto& d : *devices) r.devices.push_back(d.as<std::string>());
  }
  r.batch = static_cast<int64_t>(f.optional_integer("batch", static_cast<double>(r.batch), 0, 1e6));
  r.seq_len = static_cast<int64_t>(f.optional_integer("seq_len", static_cast<double>(r.seq_len), 0, 1e7));
  r.accumulation = static_cast<int64_t>(f.optional_integer("accumulation", static_cast<double>(r.accumulation), 1, 1e4));
  r.precision = f.optional_string("precision", r.precision);
  r.checkpointing = f.optional_choice("checkpointing", r.checkpointing, workloads::checkpointing_named,
                                      workloads::kCheckpointingChoices);
  r.compile = f.optional_bool("compile", r.compile);
  r.fused_optimizer = f.optional_bool("fused_optimizer", r.fused_optimizer);
  if (f.has("flash_attention")) r.flash_attention = f.optional_bool("flash_attention", true);
  r.dp = static_cast<int>(f.optional_integer("dp", r.dp, 1, 4096));
  r.tp = static_cast<int>(f.optional_integer("tp", r.tp, 1, 1024));
  r.pp = static_cast<int>(f.optional_integer("pp", r.pp, 1, 1024));
  r.sequence_parallel = f.optional_bool("sequence_parallel", r.sequence_parallel);
  r.cp = static_cast<int>(f.optional_integer("cp", r.cp, 1, 1024));
  r.vp = static_cast<int>(f.optional_integer("vp", r.vp, 1, 1024));
  r.zero = static_cast<int>(f.optional_integer("zero", r.zero, 0, 3));
  r.ep = static_cast<int>(f.optional_integer("ep", r.ep, 1, 4096));
  if (f.optional_bool("fsdp", false)) r.zero = 3;  // FSDP FULL_SHARD shards what ZeRO-3 shards
  if (auto kernels = f.optional("kernels_per_op")) {
    YamlFields k(*kernels, f.file(), f.child_path("kernels_per_op"));
    for (const auto& entry : *kernels) {
      const auto key = entry.first.as<std::string>();
      if (!hwmodels::is_kernel_op_key(key)) {
        throw k.error_at(entry.first, key, "is no op the lowering launches kernels for (docs/file-formats.md, "
                                           "\"Software profiles\")");
      }
      r.kernels_per_op[key] = static_cast<int>(k.required_integer(key, 0, 1e6));
    }
  }
  if (auto loader = f.optional("dataloader")) {
    YamlFields l(*loader, f.file(), f.child_path("dataloader"));
    r.dataloader_workers = static_cast<int>(l.optional_integer("workers", r.dataloader_workers, 0, 1024));
    r.dataloader_s = l.optional_number("seconds_per_batch", r.dataloader_s, 0, 1e6);
    l.finish();
  }
}

}  // namespace

TrainConfig load_train_config(const std::string& path) {
  return read_yaml_checked(path, [&] { return load_train_config(load_yaml_file(path), path); });
}

TrainConfig load_train_config(const YAML::Node& root, const std::string& path) {
  YamlFields f(root, path, "");
  const auto base = std::filesystem::path(path).parent_path();
  TrainConfig c;
  c.file = path;
  c.name = f.optional_string("name", std::filesystem::path(path).stem().string());
  c.description = f.optional_string("description", "");
  read_request(f, base, c.request);
  if (auto variants = f.optional("variants")) {
    if (!variants->IsSequence() || variants->size() == 0) throw f.error_at(*variants, "variants", "must be a list");
    for (std::size_t i = 0; i < variants->size(); ++i) {
      YamlFields v((*variants)[i], path, "variants[" + std::to_string(i) + "]");
      TrainVariant variant;
      variant.name = v.required_string("name");
      variant.description = v.optional_string("description", "");
      variant.request = c.request;
      read_request(v, base, variant.request);
      v.finish();
      c.variants.push_back(variant);
    }
  }
  f.finish();
  return c;
}

}  // namespace llmsim::sim::training
