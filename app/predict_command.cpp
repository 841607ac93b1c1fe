#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <memory>

#include "app/commands.hpp"
#include "app/number_validator.hpp"
#include "app/progress_display.hpp"
#include "app/recorded_steps.hpp"
#include "common/input_error.hpp"
#include "common/output_files.hpp"
#include "sim/op_table_writer.hpp"
#include "sim/predictor.hpp"
#include "sim/report.hpp"
#include "sim/trace_writer.hpp"

namespace llmsim::cli {

namespace {

// Mixture-of-experts: expert parallelism, routing skew, experts in host memory and their cache.
void add_expert_options(CLI::App* cmd, sim::PredictRequest& r) {
  cmd->add_option("--ep", r.ep,
                  "expert-parallel ranks (MoE): a multiple of --tp; ep/tp attention data-parallel groups, all-to-all "
                  "expert dispatch and combine")
      ->capture_default_str();
  cmd->add_option("--routing", r.routing,
                  "expert routing: uniform, zipf:S (popularity ~ 1/rank^S) or a file of per-expert token counts")
      ->capture_default_str();
  cmd->add_option("--n-cpu-moe", r.n_cpu_moe,
                  "keep the routed experts of the first N layers in host memory (llama.cpp --n-cpu-moe)");
  cmd->add_option("--expert-cache-hit", r.expert_cache_hit,
                  "share of those experts' work served from a device-memory cache of the hottest experts (0-1)");
  cmd->add_option("--expert-cache-slots", r.expert_cache_slots,
                  "or: experts per layer cached in device memory (the hit rate follows from --routing)");
}

// Where the model runs: placement policy, devices, offload and collectives.
void add_placement_options(CLI::App* cmd, sim::PlacementSpec& spec, std::string& policy, std::string& op_classes) {
  cmd->add_option("--placement", policy, "single, by-op-class, layer-split or offload")->capture_default_str();
  cmd->add_option("--devices", spec.devices, "devices for the placement or one per tp x pp rank (ids or kinds)")
      ->delimiter(',');
  cmd->add_option("--op-classes", op_classes, "by-op-class map, e.g. attention=npu,mlp=gpu,default=gpu");
  cmd->add_option("--split-layer", spec.split_layer, "layer-split: first layer on the second device");
  cmd->add_option("--offload-memory", spec.offload_memory, "offload: memory that keeps offloaded weights");
  cmd->add_option("--memory-fraction", spec.memory_fraction, "offload: share of the device memory the model may use")
      ->capture_default_str();
  cmd->add_flag("--prefetch", spec.prefetch, "offload: copy the next layer's weights during this one");
  add_collectives_option(cmd, spec.collectives);
  cmd->add_option("--host-experts", spec.host_experts,
                  "with --n-cpu-moe: cpu (the host CPU computes them, default) or stream (weights copied to the GPU)");
}

void add_price_option(CLI::App* cmd, double& usd_per_hour) {
  cmd->add_option("--usd-per-hour", usd_per_hour,
                  "price of the hardware per hour, for cost per image/sequence (default: the system file's "
                  "cloud_usd_per_hour)")
      ->check(finite_number_in(0, 1e6, "a price from 0 to 1e6 USD per hour", "USD"));
}

}  // namespace

void add_predict_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("predict", "predict prefill and decode of one request on one device");
  auto request = std::make_shared<sim::PredictRequest>();
  auto json = std::make_shared<bool>(false);
  auto trace = std::make_shared<std::string>();
  auto ops_csv = std::make_shared<std::string>();
  cmd->add_option("--hardware", request->hardware, "catalog id or system YAML file")->required();
  cmd->add_option("--device", request->device, "cpu, gpu, npu or a device id (default: the first gpu)");
  cmd->add_option("--model", request->model, "model id or Hugging Face config.json")->required();
  cmd->add_option("--dtype", request->dtype, "weight format mix: f32 f16 bf16 fp8 int8 int4 q8_0 q4_0 q4_k_m iq4_xs")
      ->capture_default_str();
  cmd->add_option("--kv-dtype", request->kv_dtype, "KV cache format")->capture_default_str();
  cmd->add_option("--batch", request->batch, "sequences decoded together")->capture_default_str();
  cmd->add_option("--prompt", request->prompt, "prompt tokens per sequence (llama-bench pp)")->capture_default_str();
  cmd->add_option("--gen", request->gen, "generated tokens per sequence (llama-bench tg)")->capture_default_str();
  cmd->add_option("--tp", request->tp, "tensor-parallel degree")->capture_default_str();
  cmd->add_option("--pp", request->pp, "pipeline-parallel degree")->capture_default_str();
  add_expert_options(cmd, *request);
  cmd->add_option("--microbatches", request->microbatches, "pipeline micro-batches (default: pp when batch allows)");
  cmd->add_option("--replicas", request->replicas, "independent copies of the placement (aggregate throughput)");
  cmd->add_option("-t,--threads", request->threads, "CPU threads the engine runs (llama.cpp -t); default one per core")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--ubatch", request->ubatch,
                  "prompt tokens per prefill chunk (llama.cpp -ub); default the profile's");
  cmd->add_flag("--extend-context", request->extend_context,
                "predict a context beyond the model's max_position_embeddings (RoPE models; stated in the report)");
  cmd->add_option("--images", request->images, "images per sequence (vision-language models)");
  cmd->add_option("--image-tiles", request->image_tiles, "tiles per image (default: the encoder's maximum)");
  add_price_option(cmd, request->usd_per_hour);
  auto op_classes = std::make_shared<std::string>();
  auto policy = std::make_shared<std::string>("single");
  add_placement_options(cmd, request->placement, *policy, *op_classes);
  cmd->add_option("--software", request->software, "software profile: llama.cpp vllm trtllm sglang pytorch; NAME@bNNNN[:BACKEND] picks an engine build's kernel paths (llama.cpp@b5000, llama.cpp@b6092:vulkan)")
      ->capture_default_str();
  cmd->add_flag("--json", *json, "print one JSON object instead of the text report");
  cmd->add_option("--trace", *trace, "write a Chrome/Perfetto trace JSON here");
  cmd->add_option("--ops-csv", *ops_csv, "write the per-op table here");
  cmd->callback([=, &action]() {
    request->placement.policy = sim::parse_placement_policy(*policy, "--placement");  // parsed once, here
    request->placement.op_classes = parse_assignments(*op_classes, "--op-classes");
    action = [=](const sim::DataPaths& paths) {
      sim::TraceWriter tracer;
      sim::OpTableWriter table;
      std::vector<sim::StepObserver> observers;
      // A trace and an op table keep every step in memory: bound them (docs/reliability.md).
      if (!trace->empty() || !ops_csv->empty()) {
        check_recorded_steps(*request, trace->empty() ? "--ops-csv" : "--trace",
                             "predict without --trace and --ops-csv runs any length in constant memory");
      }
      if (!trace->empty()) observers.push_back(tracer.observer());
      if (!ops_csv->empty()) observers.push_back(table.observer());
      ProgressDisplay progress;  // stderr, only once a run has taken seconds
      observers.push_back(progress.observer());
      const sim::Prediction p = sim::Predictor(paths).predict(*request, observers);
      if (!trace->empty()) write_file_atomically(*trace, tracer.json());
      if (!ops_csv->empty()) write_file_atomically(*ops_csv, table.csv());
      if (*json) {
        fmt::print("{}\n", sim::to_json(p).dump(2));
      } else {
        fmt::print("{}", sim::to_text(p));
      }
      return p.fits ? kOk : kDoesNotFit;
    };
  });
}

}  // namespace llmsim::cli
