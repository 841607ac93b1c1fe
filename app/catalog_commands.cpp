#include <fmt/format.h>

#include <fstream>
#include <map>
#include <memory>
#include <vector>

#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "app/commands.hpp"
#include "workloads/hf_config_reader.hpp"
#include "workloads/model_registry.hpp"
#include "workloads/model_weights.hpp"
#include "workloads/storage_formats.hpp"

namespace llmsim::cli {

namespace {

std::string quantity(const hwmodels::Quantity& q, const hwmodels::System& s) {
  auto it = s.sources.find(q.source);
  return fmt::format("{:g}  [{}]{}", q.value, it == s.sources.end() ? q.source : it->second,
                     q.note.empty() ? "" : "  (" + q.note + ")");
}

int show_hardware(const sim::DataPaths& paths, const std::string& id) {
  const hwmodels::System s = hwmodels::Catalog(paths.catalog()).load(id);
  fmt::print("{}: {}\nfile: {}\n", s.id, s.name, s.file);
  for (const auto& m : s.memories) {
    fmt::print("memory {} ({})\n  capacity_gib  {}\n  bandwidth_gbs {}\n", m.id, m.kind, quantity(m.capacity_gib, s),
               quantity(m.bandwidth_gbs, s));
    if (m.measured_bandwidth_gbs) fmt::print("  measured_gbs  {}\n", quantity(*m.measured_bandwidth_gbs, s));
  }
  for (const auto& d : s.devices) {
    fmt::print("device {} ({}, {}{}) reads {}\n  units         {}\n", d.id, to_string(d.kind), d.vendor,
               d.name.empty() ? "" : ", " + d.name, d.memory, quantity(d.compute_units, s));
    for (const auto& [dtype, q] : d.peak_tflops) fmt::print("  {:<13} {} TFLOP/s\n", dtype, quantity(q, s));
    if (d.tdp_w) fmt::print("  tdp_w         {}\n", quantity(*d.tdp_w, s));
  }
  for (const auto& l : s.links) {
    fmt::print("link {} ({}) {} <-> {}\n  bandwidth_gbs {}\n  latency_us    {}\n", l.id, l.kind, l.from, l.to,
               quantity(l.bandwidth_gbs, s), quantity(l.latency_us, s));
  }
  if (s.price_usd) fmt::print("price_usd {}\n", quantity(*s.price_usd, s));
  return kOk;
}

int list_models(const sim::DataPaths& paths) {
  const workloads::ModelRegistry registry(paths.models(), paths.model_defaults());
  const auto formats = workloads::FormatTable::load(paths.formats());
  for (const auto& model_id : registry.ids()) {
    try {
      const auto m = registry.load(model_id);
      const workloads::ModelWeights w(m, formats, formats.mix("bf16"));
      fmt::print("{:<30} {:<32} {:>8.2f} B params  {} layers  hidden {}\n", model_id, m.architecture,
                 w.parameter_count() / 1e9, m.layers, m.hidden);
    } catch (const InputError& e) {
      fmt::print("{:<30} not usable: {}\n", model_id, e.what());
    }
  }
  return kOk;
}

// SOURCES.md's table: id -> (Hugging Face repo, where the file was copied from).
std::map<std::string, std::pair<std::string, std::string>> model_sources(const std::string& models_dir) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  std::ifstream in(models_dir + "/SOURCES.md");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| ", 0) != 0) continue;
    std::vector<std::string> cells;
    for (std::size_t at = 1; at < line.size();) {
      const auto next = line.find(" |", at);
      if (next == std::string::npos) break;
      auto cell = line.substr(at, next - at);
      cell.erase(0, cell.find_first_not_of(' '));
      cells.push_back(cell);
      at = next + 2;
    }
    if (cells.size() >= 3 && cells[0] != "id") out[cells[0]] = {cells[1], cells[2]};
  }
  return out;
}

int list_architectures(const sim::DataPaths& paths) {
  const workloads::ModelRegistry registry(paths.models(), paths.model_defaults());
  const auto sources = model_sources(paths.models());
  std::map<std::string, std::vector<std::string>> by_architecture;
  for (const auto& id : registry.ids()) {
    try {
      by_architecture[registry.load(id).architecture].push_back(id);
    } catch (const InputError&) {
      by_architecture["(not usable)"].push_back(id);
    }
  }
  for (const auto& arch : workloads::supported_architectures()) by_architecture.try_emplace(arch);
  std::size_t configs = 0;
  for (const auto& [arch, ids] : by_architecture) {
    fmt::print("{} ({} config{})\n", arch, ids.size(), ids.size() == 1 ? "" : "s");
    for (const auto& id : ids) {
      auto it = sources.find(id);
      fmt::print("  {:<30} {}\n", id,
                 it == sources.end() ? "(no row in SOURCES.md)" : it->second.first + ": " + it->second.second);
      ++configs;
    }
  }
  fmt::print("{} configs of {} architectures; `--model config.json` or `--model file.gguf` takes any other\n", configs,
             by_architecture.size());
  return kOk;
}

}  // namespace

void add_catalog_commands(CLI::App& app, Action& action) {
  auto* hw = app.add_subcommand("hardware", "list or show hardware systems of the catalog");
  hw->require_subcommand(1);
  hw->add_subcommand("list", "list catalog ids")->callback([&action]() {
    action = [](const sim::DataPaths& paths) {
      const hwmodels::Catalog catalog(paths.catalog());
      for (const auto& id : catalog.ids()) {
        const auto s = catalog.load(id);
        std::string devices;
        for (const auto& d : s.devices) devices += (devices.empty() ? "" : " + ") + to_string(d.kind);
        fmt::print("{:<20} {:<14} {}\n", id, devices, s.name);
      }
      return kOk;
    };
  });
  auto id = std::make_shared<std::string>();
  auto* show = hw->add_subcommand("show", "show one system with every number's source");
  show->add_option("id", *id, "catalog id or system file")->required();
  show->callback([id, &action]() { action = [id](const sim::DataPaths& paths) { return show_hardware(paths, *id); }; });
  add_hardware_compare_command(*hw, action);

  auto* models = app.add_subcommand("models", "list the shipped model configs");
  auto by_architecture = std::make_shared<bool>(false);
  models->add_flag("--architectures", *by_architecture,
                   "group the configs by architecture, with each config's Hugging Face repo and where it was copied from");
  models->callback([&action, by_architecture]() {
    action = [by_architecture](const sim::DataPaths& paths) {
      return *by_architecture ? list_architectures(paths) : list_models(paths);
    };
  });
}

}  // namespace llmsim::cli
