// `llmsim export-chakra` and `llmsim import-chakra`: MLCommons Chakra execution traces
// out of a lowered step and into a simulation (docs/chakra.md).
#include <fmt/format.h>

#include <memory>

#include "common/output_files.hpp"
#include "app/commands.hpp"
#include "sim/step_export.hpp"
#include "sim/trace_simulation.hpp"
#include "sim/trace_simulation_report.hpp"
#include "sim/trace_writer.hpp"
#include "workloads/chakra/trace_importer.hpp"

namespace llmsim::cli {

namespace {

void add_export(CLI::App& app, Action& action) {
  auto* cmd =
      app.add_subcommand("export-chakra", "write one prefill chunk or decode step as Chakra traces, one per rank");
  auto e = std::make_shared<sim::StepExportRequest>();
  auto& r = e->request;
  cmd->add_option("--hardware", r.hardware, "catalog id or system YAML file")->required();
  cmd->add_option("--model", r.model, "model id or Hugging Face config.json")->required();
  cmd->add_option("--dtype", r.dtype, "weight format mix")->capture_default_str();
  cmd->add_option("--kv-dtype", r.kv_dtype, "KV cache format")->capture_default_str();
  cmd->add_option("--batch", r.batch, "sequences in the step")->capture_default_str();
  cmd->add_option("--prompt", r.prompt, "prompt tokens per sequence")->capture_default_str();
  cmd->add_option("--gen", r.gen, "generated tokens per sequence")->capture_default_str();
  cmd->add_option("--tp", r.tp, "tensor-parallel degree")->capture_default_str();
  cmd->add_option("--pp", r.pp, "pipeline-parallel degree")->capture_default_str();
  cmd->add_option("--microbatches", r.microbatches, "pipeline micro-batches (default: pp when batch allows)");
  cmd->add_option("--device", r.device, "device for one rank (default: the first gpu)");
  cmd->add_option("--devices", r.placement.devices, "one device per tp x pp rank (ids or kinds)")->delimiter(',');
  cmd->add_option("--software", r.software, "software profile: llama.cpp vllm trtllm pytorch")->capture_default_str();
  cmd->add_option("--phase", e->phase, "prefill or decode")->capture_default_str();
  cmd->add_option("--step", e->step, "which prefill chunk or decode step (0 = the first)")->capture_default_str();
  cmd->add_option("--out", e->prefix, "file prefix: writes PREFIX.<rank>.et")->required();
  cmd->callback([=, &action]() {
    action = [=](const sim::DataPaths& paths) {
      const sim::StepExport x = sim::export_step(paths, *e);
      fmt::print("{} step (past {} + new {} tokens per sequence): {} ops as {} Chakra nodes over {} rank(s)\n",
                 e->phase, x.past_tokens, x.new_tokens, x.ops, x.nodes, x.ranks);
      for (const auto& f : x.files) fmt::print("wrote {}\n", f);
      return kOk;
    };
  });
}

void add_import(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("import-chakra", "simulate Chakra traces PREFIX.<rank>.et on a system");
  auto prefix = std::make_shared<std::string>();
  auto ranks = std::make_shared<int>(1);
  auto q = std::make_shared<sim::TraceSimulationRequest>();
  auto json = std::make_shared<bool>(false);
  auto trace = std::make_shared<std::string>();
  cmd->add_option("prefix", *prefix, "trace prefix: reads PREFIX.0.et .. PREFIX.<ranks-1>.et")->required();
  cmd->add_option("--ranks", *ranks, "number of rank files")->required();
  cmd->add_option("--hardware", q->hardware, "catalog id or system YAML file")->required();
  cmd->add_option("--devices", q->devices, "one device per rank (default: the first GPUs)")->delimiter(',');
  cmd->add_option("--software", q->software, "software profile: launch overhead and efficiencies")
      ->capture_default_str();
  add_collectives_option(cmd, q->collectives);
  cmd->add_option("--compute-dtype", q->compute_dtype, "peak that num_ops-only compute nodes run at")
      ->capture_default_str();
  cmd->add_flag("--replay", q->replay, "compute nodes take their recorded duration_micros");
  cmd->add_flag("--json", *json, "print one JSON object instead of the text report");
  cmd->add_option("--trace", *trace, "write a Chrome/Perfetto trace JSON here");
  cmd->callback([=, &action]() {
    action = [=](const sim::DataPaths& paths) {
      const chakra::ImportedTrace imported = chakra::import_trace(*prefix, *ranks);
      sim::TraceWriter tracer;
      std::vector<sim::StepObserver> observers;
      if (!trace->empty()) observers.push_back(tracer.observer());
      const sim::TraceSimulation s = sim::simulate_trace(paths, imported, *q, observers);
      if (!trace->empty()) write_file_atomically(*trace, tracer.json());
      fmt::print("{}", *json ? sim::to_json(s).dump(2) + "\n" : sim::to_text(s));
      return kOk;
    };
  });
}

}  // namespace

void add_chakra_commands(CLI::App& app, Action& action) {
  add_export(app, action);
  add_import(app, action);
}

}  // namespace llmsim::cli
