#include "sim/step_export.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.hpp"
#include "sim/op_cost.hpp"
#include "sim/predictor.hpp"
#include "sim/simulation_context.hpp"
#include "workloads/chakra/trace_exporter.hpp"

namespace llmsim::sim {

namespace {

// The step's (past, new) tokens per sequence, as Predictor::predict walks the request.
std::pair<int64_t, int64_t> step_tokens(const StepExportRequest& e, int64_t chunk) {
  const auto& r = e.request;
  if (e.step < 0) throw InputError("--step", fmt::format("must be >= 0, got {}", e.step));
  if (e.phase == "decode") {
    if (e.step >= r.gen) {
      throw InputError("--step", fmt::format("decode step {} does not exist with --gen {}", e.step, r.gen));
    }
    return {r.prompt + e.step, 1};
  }
  if (e.phase == "prefill") {
    const int64_t chunks = r.prompt > 0 ? (r.prompt + chunk - 1) / chunk : 0;
    if (e.step >= chunks) {
      throw InputError("--step", fmt::format("prefill chunk {} does not exist: --prompt {} makes {} chunk(s) of up to "
                                             "{} tokens",
                                             e.step, r.prompt, chunks, chunk));
    }
    const int64_t past = e.step * chunk;
    return {past, std::min(chunk, r.prompt - past)};
  }
  throw InputError("--phase", fmt::format("must be prefill or decode, got '{}'", e.phase));
}

}  // namespace

StepExport export_step(const DataPaths& paths, const StepExportRequest& e) {
  PredictRequest r = e.request;
  check_request(r);
  if (e.prefix.empty()) throw InputError("--out", "give the prefix of the files to write");
  const SimulationContext context(paths, r.hardware, r.model, r.software, r.dtype, r.kv_dtype);
  PlacementSpec& spec = r.placement;
  const int ranks = r.tp * r.pp;
  if (spec.devices.empty() && ranks == 1) spec.devices = {r.device.empty() ? context.default_device() : r.device};
  if (r.microbatches == 0) r.microbatches = r.batch >= r.pp ? r.pp : 1;
  const Deployment deployment = make_deployment(context, spec, r.tp, r.pp, {});

  const int64_t chunk = context.profile.prefill_chunk_tokens > 0 ? context.profile.prefill_chunk_tokens : r.prompt;
  const auto [past, fresh] = step_tokens(e, chunk);
  workloads::LoweringOptions options = deployment.base;
  options.batch = r.batch;
  options.microbatches = r.microbatches;
  options.past_tokens = past;
  options.new_tokens = fresh;
  const workloads::OpGraph graph = workloads::lower_step(context.model, *context.weights, options);

  chakra::ExportOptions out;
  out.prefix = e.prefix;
  out.ranks = ranks;
  out.metadata = {{"llmsim.model", context.model.id},
                  {"llmsim.hardware", context.system.id},
                  {"llmsim.software", context.profile.id},
                  {"llmsim.dtype", r.dtype},
                  {"llmsim.phase", e.phase},
                  {"llmsim.batch", std::to_string(r.batch)},
                  {"llmsim.past_tokens", std::to_string(past)},
                  {"llmsim.new_tokens", std::to_string(fresh)},
                  {"llmsim.tp", std::to_string(r.tp)},
                  {"llmsim.pp", std::to_string(r.pp)}};
  for (workloads::OpId v = 0; v < graph.size(); ++v) {
    const workloads::Op& op = graph.op(v);
    const double alone =
        op.is_communication() ? 0.0 : cost_op(op, context.devices[deployment.placer->device_for(op)]).roofline_s();
    out.durations_s.push_back(alone);
  }
  StepExport result;
  result.ranks = ranks;
  result.ops = graph.size();
  result.past_tokens = past;
  result.new_tokens = fresh;
  for (const auto& file : chakra::export_trace(graph, out)) {
    chakra::write_trace_file(file);
    result.files.push_back(file.path);
    result.nodes += file.nodes.size();
  }
  return result;
}

}  // namespace llmsim::sim
