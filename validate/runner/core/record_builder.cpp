#include "validate/runner/core/record_builder.hpp"

#include <fmt/format.h>

#include "validate/proto/schema_version.hpp"
#include "validate/runner/core/sample_stats.hpp"

namespace llmsim::bench {

using measurements::Measurement;

namespace {

// What a dtype computes in: block formats take int8 dot products against q8_0 activations.
std::string compute_dtype(const std::string& dtype) {
  if (dtype == "q8_0" || dtype == "q4_0") return "int8";
  return dtype;
}

void fill_shape(measurements::Shape* shape, const KernelSpec& s, const Work& work) {
  shape->set_m(s.m);
  shape->set_n(s.n);
  shape->set_k(s.k);
  shape->set_batch(1);
  shape->set_heads(s.heads);
  shape->set_kv_heads(s.kv_heads == 0 ? s.heads : s.kv_heads);
  shape->set_head_dim(s.head_dim);
  shape->set_context(s.context);
  shape->set_elements(s.elements);
  shape->set_bytes(s.bytes > 0 ? s.bytes : static_cast<std::int64_t>(work.bytes_moved()));
}

void fill_model(measurements::ModelContext* m, const StepModel& model) {
  m->set_model(model.model);
  m->set_layers(model.layers);
  m->set_hidden(model.hidden);
  m->set_heads(model.heads);
  m->set_vocab(model.vocab);
  m->set_batch(1);
  m->set_past_tokens(model.past_tokens);
  m->set_new_tokens(1);
  m->set_weight_format(model.weight_format);
  m->set_layer(-1);
}

}  // namespace

Measurement RecordBuilder::common(const KernelSpec& spec, const KernelFacts& facts, const SampleSet& samples,
                                  const TimingPolicy& policy, const CheckResult& check) const {
  Measurement r;
  r.set_schema_version(measurements::kSchemaVersion);
  r.set_id(spec.id(context_.backend));
  r.set_name(fmt::format("{} on {} ({})", spec.describe(), context_.device.name(), context_.backend));
  r.set_kernel(spec.kernel);
  r.set_dtype(spec.dtype);
  r.set_compute_dtype(compute_dtype(spec.dtype));
  fill_shape(r.mutable_shape(), spec, facts.work);

  auto* work = r.mutable_work();
  work->set_flops(facts.work.flops);
  work->set_bytes_read(facts.work.bytes_read);
  work->set_bytes_written(facts.work.bytes_written);
  work->set_bytes_moved(facts.work.bytes_moved());

  const SampleStats stats = summarize(samples.per_call_s);
  auto* t = r.mutable_timing();
  t->set_timer(facts.timer);
  t->set_warmup_calls(samples.warmup_calls);
  t->set_warmup_s(samples.warmup_s);
  t->set_samples(static_cast<int>(samples.per_call_s.size()));
  t->set_calls_per_sample(samples.calls_per_sample);
  t->set_min_s(stats.min);
  t->set_median_s(stats.median);
  t->set_mean_s(stats.mean);
  t->set_p90_s(stats.p90);
  t->set_max_s(stats.max);
  t->set_cv(stats.cv);
  t->set_drift(stats.drift);
  t->set_stable(samples.stable);
  t->set_capped(samples.capped);
  t->set_stable_tolerance(policy.stable_tolerance);
  t->set_total_s(samples.total_s);
  for (double v : samples.per_call_s) t->add_samples_s(v);

  auto* rates = r.mutable_rates();
  if (stats.median > 0) {
    rates->set_gflops_per_s(facts.work.flops / stats.median / 1e9);
    rates->set_gbytes_per_s(facts.work.bytes_moved() / stats.median / 1e9);
  }

  auto* exec = r.mutable_execution();
  exec->set_backend(context_.backend);
  exec->set_threads(spec.threads);
  exec->set_implementation(facts.implementation);
  exec->set_software("llmsim-bench");
  for (const auto& [key, value] : facts.parameters) (*exec->mutable_parameters())[key] = value;

  *r.mutable_device() = context_.device;
  *r.mutable_environment() = context_.environment;
  r.mutable_provenance()->set_origin(measurements::ORIGIN_RUNNER);
  r.mutable_provenance()->set_source("llmsim-bench " + context_.environment.runner_version());

  auto* v = r.mutable_verification();
  v->set_verified(check.ok);
  v->set_method(check.method);
  v->set_max_abs_error(check.max_abs_error);
  v->set_max_rel_error(check.max_rel_error);
  v->set_tolerance(check.tolerance);
  return r;
}

Measurement RecordBuilder::kernel(const KernelSpec& spec, const KernelFacts& facts, const SampleSet& samples,
                                  const TimingPolicy& policy, const CheckResult& check) const {
  return common(spec, facts, samples, policy, check);
}

Measurement RecordBuilder::step(const KernelSpec& spec, const StepBenchmark& bench, const SampleSet& samples,
                                const TimingPolicy& policy, const CheckResult& check) const {
  KernelFacts facts;
  for (const StepOp& op : bench.ops()) {
    facts.work.flops += op.work.flops;
    facts.work.bytes_read += op.work.bytes_read;
    facts.work.bytes_written += op.work.bytes_written;
  }
  facts.implementation = bench.implementation();
  facts.timer = "steady_clock";
  Measurement r = common(spec, facts, samples, policy, check);
  fill_model(r.mutable_model(), bench.model());
  if (r.timing().median_s() > 0) r.mutable_rates()->set_tokens_per_s(1.0 / r.timing().median_s());
  return r;
}

Measurement RecordBuilder::op(const KernelSpec& spec, const StepBenchmark& bench, const StepOp& op,
                              const SampleSet& samples, const TimingPolicy& policy, const CheckResult& check) const {
  KernelSpec op_spec = spec;
  op_spec.kernel = measurements::KERNEL_CLASS_OP;
  op_spec.dtype = op.dtype;
  op_spec.m = op.m;
  op_spec.n = op.n;
  op_spec.k = op.k;
  op_spec.heads = op.heads;
  op_spec.kv_heads = op.heads;
  op_spec.head_dim = op.head_dim;
  op_spec.context = op.context;
  op_spec.elements = op.elements;
  KernelFacts facts{op.work, bench.implementation(), "steady_clock", {}};
  Measurement r = common(op_spec, facts, samples, policy, check);
  const std::string step_id = spec.id(context_.backend);
  r.set_id(fmt::format("{}/op={}", step_id, op.name));
  r.set_name(fmt::format("{} {} ({}) in {} on {}", op.name, op.kind, op.dtype, spec.describe(),
                         context_.device.name()));
  r.mutable_timing()->set_timer("steady_clock (between ops of instrumented steps)");
  auto* m = r.mutable_model();
  fill_model(m, bench.model());
  m->set_op_name(op.name);
  m->set_op_kind(op.kind);
  m->set_op_group(op.group);
  m->set_layer(op.layer);
  return r;
}

}  // namespace llmsim::bench
