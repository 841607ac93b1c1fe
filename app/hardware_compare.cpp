// llmsim hardware compare A B ...: what a buyer wants side by side. The datasheet numbers of
// each system's first GPU (else NPU, else CPU) with their sources, and, with --model, the
// predicted prefill and decode rates of that model on each (one child process per system:
// SimGrid allows one platform per process). --csv writes the same table for plotting.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <array>
#include <map>
#include <memory>
#include <vector>

#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "common/output_files.hpp"
#include "app/commands.hpp"
#include "sim/predictor.hpp"
#include "sim/process_pool.hpp"

namespace llmsim::cli {

namespace {

struct CompareFlags {
  std::vector<std::string> systems;
  sim::PredictRequest request;  // hardware filled per system; model empty = no prediction
  std::string csv;
};

const hwmodels::Device& main_device(const hwmodels::System& s) {
  for (auto kind : {hwmodels::DeviceKind::gpu, hwmodels::DeviceKind::npu, hwmodels::DeviceKind::cpu})
    if (const auto* d = s.first_device(kind)) return *d;
  return s.devices.front();
}

std::string cell(const std::optional<hwmodels::Quantity>& q) { return q ? fmt::format("{:g}", q->value) : "-"; }

// Predicts in a child and hands the JSON back through a pipe; "" when the child failed.
std::vector<std::string> predict_each(const sim::DataPaths& paths, const CompareFlags& f) {
  std::vector<std::array<int, 2>> pipes(f.systems.size());
  for (auto& p : pipes)
    if (::pipe(p.data()) != 0) throw std::runtime_error("pipe() failed");
  std::vector<std::string> out(f.systems.size());
  sim::run_in_children(
      f.systems.size(), 2,
      [&](std::size_t i) {
        sim::PredictRequest r = f.request;
        r.hardware = f.systems[i];
        nlohmann::json j;
        try {
          const auto p = sim::Predictor(paths).predict(r);
          j = {{"prefill_tokens_per_s", p.prefill_tokens_per_s}, {"decode_tokens_per_s", p.decode_tokens_per_s},
               {"fits", p.fits}, {"bound", p.decode.bound().empty() ? p.prefill.bound() : p.decode.bound()}};
        } catch (const std::exception& e) {
          j = {{"error", e.what()}};
        }
        const std::string text = j.dump();
        return sim::write_fully(pipes[i][1], text.data(), text.size()) ? 0 : 1;
      },
      [&](std::size_t i, const sim::ChildOutcome&) {
        ::close(pipes[i][1]);
        out[i] = sim::read_until_eof(pipes[i][0]);
        ::close(pipes[i][0]);
      });
  return out;
}

int run_compare(const sim::DataPaths& paths, const CompareFlags& f) {
  const hwmodels::Catalog catalog(paths.catalog());
  std::vector<hwmodels::System> systems;
  for (const auto& id : f.systems) systems.push_back(catalog.load(id));
  const std::vector<std::string> predictions =
      f.request.model.empty() ? std::vector<std::string>(systems.size()) : predict_each(paths, f);
  const bool predicted = !f.request.model.empty();
  std::string csv = "hardware,device,memory_gib,memory_kind,bandwidth_gbs,f16_tflops,bf16_tflops,fp8_tflops,"
                    "int8_tops,fp4_tflops,tdp_w,idle_w,price_usd,prefill_tokens_per_s,decode_tokens_per_s,fits\n";
  fmt::print("{:<24} {:<6} {:>7} {:<7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>7}", "hardware", "device", "GiB",
             "memory", "GB/s", "f16", "bf16", "fp8", "int8", "fp4", "TDP W", "USD");
  if (predicted) fmt::print(" {:>10} {:>10}  {}", "prefill/s", "decode/s", "bound");
  fmt::print("\n");
  for (std::size_t i = 0; i < systems.size(); ++i) {
    const auto& s = systems[i];
    const auto& d = main_device(s);
    const auto& m = s.memory_of(d);
    auto peak = [&](const char* dtype) -> std::optional<hwmodels::Quantity> {
      auto it = d.peak_tflops.find(dtype);
      return it == d.peak_tflops.end() ? std::nullopt : std::optional<hwmodels::Quantity>(it->second);
    };
    fmt::print("{:<24} {:<6} {:>7g} {:<7} {:>8g} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>7}", s.id, d.id,
               m.capacity_gib.value, m.kind, m.bandwidth_gbs.value, cell(peak("f16")), cell(peak("bf16")),
               cell(peak("fp8")), cell(peak("int8")), cell(peak("fp4")), cell(d.tdp_w), cell(s.price_usd));
    std::string pre, dec, fits;
    if (predicted) {
      const auto j = nlohmann::json::parse(predictions[i].empty() ? "{\"error\": \"the prediction crashed\"}" : predictions[i]);
      if (j.contains("error")) {
        fmt::print("  not predicted: {}", j["error"].get<std::string>());
      } else {
        pre = fmt::format("{:.1f}", j["prefill_tokens_per_s"].get<double>());
        dec = fmt::format("{:.1f}", j["decode_tokens_per_s"].get<double>());
        fits = j["fits"].get<bool>() ? "yes" : "no";
        fmt::print(" {:>10} {:>10}  {}{}", pre, dec, j["bound"].get<std::string>(), fits == "no" ? " (does not fit)" : "");
      }
    }
    fmt::print("\n");
    csv += fmt::format("{},{},{:g},{},{:g},{},{},{},{},{},{},{},{},{},{},{}\n", s.id, d.id, m.capacity_gib.value, m.kind,
                       m.bandwidth_gbs.value, cell(peak("f16")), cell(peak("bf16")), cell(peak("fp8")), cell(peak("int8")),
                       cell(peak("fp4")), cell(d.tdp_w), cell(d.idle_w), cell(s.price_usd), pre, dec, fits);
  }
  fmt::print("\npeaks are dense TFLOP/s (TOPS for int8) of each system's first GPU, else NPU, else CPU; '-' = the "
             "datasheet gives none. Sources:\n");
  for (const auto& s : systems) {
    const auto& d = main_device(s);
    const auto& m = s.memory_of(d);
    std::map<std::string, bool> used{{m.bandwidth_gbs.source, true}, {m.capacity_gib.source, true}};
    for (const auto& [dtype, q] : d.peak_tflops) used[q.source] = true;
    if (d.tdp_w) used[d.tdp_w->source] = true;
    if (s.price_usd) used[s.price_usd->source] = true;
    fmt::print("  {}:\n", s.id);
    for (const auto& [key, _] : used) {
      auto it = s.sources.find(key);
      fmt::print("    [{}] {}\n", key, it == s.sources.end() ? "(not in the file's sources)" : it->second);
    }
  }
  if (predicted) {
    fmt::print("\npredicted: {} {} with {}, batch {}, prompt {}, gen {} on each system's default device (llmsim "
               "predict; its report lists every assumption)\n",
               f.request.model, f.request.dtype, f.request.software, f.request.batch, f.request.prompt, f.request.gen);
  }
  if (!f.csv.empty()) {
    write_file_atomically(f.csv, csv);
    fmt::print("wrote {}\n", f.csv);
  }
  return kOk;
}

}  // namespace

void add_hardware_compare_command(CLI::App& hardware, Action& action) {
  auto flags = std::make_shared<CompareFlags>();
  auto* cmd = hardware.add_subcommand("compare", "datasheet numbers side by side, with sources and predicted tokens/s");
  cmd->add_option("ids", flags->systems, "two or more catalog ids or system files")->required()->expected(2, 64);
  cmd->add_option("--model", flags->request.model, "predict this model on each system (id, config.json or .gguf)");
  cmd->add_option("--dtype", flags->request.dtype, "weight format mix")->capture_default_str();
  cmd->add_option("--software", flags->request.software, "software profile")->capture_default_str();
  cmd->add_option("--batch", flags->request.batch, "sequences")->capture_default_str();
  cmd->add_option("--prompt", flags->request.prompt, "prompt tokens")->capture_default_str();
  cmd->add_option("--gen", flags->request.gen, "generated tokens")->capture_default_str();
  cmd->add_option("--csv", flags->csv, "write the table here");
  cmd->callback([flags, &action]() { action = [flags](const sim::DataPaths& paths) { return run_compare(paths, *flags); }; });
}

}  // namespace llmsim::cli
