#include "validate/runner/core/bench_runner.hpp"

#include <fmt/format.h>

#include <chrono>
#include <new>

#include "validate/proto/kernel_class_names.hpp"
#include "validate/runner/core/cpu_load_probe.hpp"
#include "validate/runner/core/sample_stats.hpp"
#include "validate/runner/core/sampler.hpp"

namespace llmsim::bench {

namespace {

std::string seconds_text(double s) {
  if (s < 1e-6) return fmt::format("{:.1f} ns", s * 1e9);
  if (s < 1e-3) return fmt::format("{:.2f} us", s * 1e6);
  if (s < 1) return fmt::format("{:.3f} ms", s * 1e3);
  return fmt::format("{:.3f} s", s);
}

}  // namespace

BenchRunner::BenchRunner(Backend& backend, RecordBuilder records, measurements::MeasurementWriter& writer,
                         std::ostream& log, RunOptions options)
    : backend_(backend), records_(std::move(records)), writer_(writer), log_(log), options_(options) {}

std::vector<SuiteCase> BenchRunner::cases_for(const Suite& suite, const std::string& backend) {
  std::vector<SuiteCase> cases;
  for (const SuiteCase& c : suite.cases) {
    if (c.runs_on(backend)) cases.push_back(c);
  }
  return cases;
}

RunSummary BenchRunner::run(const Suite& suite) {
  const auto start = std::chrono::steady_clock::now();
  RunSummary summary;
  for (const SuiteCase& c : cases_for(suite, backend_.name())) {
    KernelSpec spec = c.spec;
    spec.threads = backend_.resolve_threads(options_.threads.value_or(spec.threads));
    TimingPolicy policy = c.timing;
    if (options_.max_time_s) policy.max_time_s = *options_.max_time_s;
    const std::string why = !spec.impl.empty() && backend_.name() != "cpu"
                                ? fmt::format("impl {} is a cpu-backend choice", spec.impl)
                                : backend_.unsupported_reason(spec);
    if (!why.empty()) {
      summary.skipped.push_back(fmt::format("{}: {}", spec.describe(), why));
      continue;
    }
    try {
      if (spec.kernel == measurements::KERNEL_CLASS_DECODE_STEP) {
        run_step(spec, policy, summary);
      } else {
        run_kernel(spec, policy, summary);
      }
    } catch (const UnsupportedCase& e) {
      summary.skipped.push_back(fmt::format("{}: {}", spec.describe(), e.what()));
    } catch (const std::bad_alloc&) {
      summary.skipped.push_back(fmt::format("{}: not enough memory for its operands", spec.describe()));
    }
  }
  summary.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

bool BenchRunner::implementation_checked(const KernelSpec& spec, RunSummary& summary) {
  // The same code path on a shape small enough to compare every output.
  const KernelSpec small = spec.small_variant();
  const std::string key = small.id(backend_.name());
  if (checked_.count(key)) return true;
  const CheckResult result = backend_.make_kernel(small)->check();
  if (!result.ok) {
    summary.failures.push_back(fmt::format("{}: wrong results on the check shape ({}, {}): {}", spec.describe(),
                                           small.describe(), result.method, result.detail));
    return false;
  }
  checked_.insert(key);
  return true;
}

void BenchRunner::run_kernel(const KernelSpec& spec, const TimingPolicy& policy, RunSummary& summary) {
  if (!implementation_checked(spec, summary)) return;
  auto kernel = backend_.make_kernel(spec);
  const CheckResult check = kernel->check();
  if (!check.ok) {
    summary.failures.push_back(fmt::format("{}: wrong results ({}): {}", spec.describe(), check.method, check.detail));
    return;
  }
  const CpuLoadProbe load;
  const SampleSet samples = Sampler(policy).measure([&](std::int64_t calls) { return kernel->time_calls(calls); });
  const KernelFacts facts{kernel->work(), kernel->implementation(), kernel->timer(), kernel->parameters()};
  auto record = records_.kernel(spec, facts, samples, policy, check);
  record.mutable_timing()->set_background_load(load.background_load());
  writer_.write(record);
  ++summary.recorded;
  ++summary.cases_run;
  progress(record);
}

void BenchRunner::run_step(const KernelSpec& spec, const TimingPolicy& policy, RunSummary& summary) {
  auto bench = backend_.make_step(spec);
  const CheckResult check = bench->check();
  if (!check.ok) {
    summary.failures.push_back(fmt::format("{}: logits differ from the reference step ({}): {}", spec.describe(),
                                           check.method, check.detail));
    return;
  }
  const CpuLoadProbe load;
  const SampleSet steps = Sampler(policy).measure([&](std::int64_t calls) { return bench->time_steps(calls); });
  // Instrumented steps, as many as the end-to-end samples, give each op its samples.
  const auto& ops = bench->ops();
  std::vector<std::vector<double>> per_op(ops.size());
  const auto op_start = std::chrono::steady_clock::now();
  for (std::size_t s = 0; s < steps.per_call_s.size(); ++s) {
    const std::vector<double> times = bench->time_ops();
    for (std::size_t i = 0; i < ops.size(); ++i) per_op[i].push_back(times[i]);
  }
  const double op_wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - op_start).count();
  const double background = load.background_load();
  auto step_record = records_.step(spec, *bench, steps, policy, check);
  step_record.mutable_timing()->set_background_load(background);
  writer_.write(step_record);
  ++summary.recorded;
  ++summary.cases_run;
  progress(step_record);
  double sum_of_medians = 0;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    SampleSet op_samples;
    op_samples.per_call_s = per_op[i];
    op_samples.stable = steps.stable;
    op_samples.capped = steps.capped;
    op_samples.total_s = op_wall;
    auto op_record = records_.op(spec, *bench, ops[i], op_samples, policy, check);
    op_record.mutable_timing()->set_background_load(background);
    writer_.write(op_record);
    ++summary.recorded;
    sum_of_medians += median_of(per_op[i]);
  }
  if (!options_.quiet) {
    log_ << fmt::format("  {} ops recorded; sum of op medians {} vs step median {}\n", ops.size(),
                        seconds_text(sum_of_medians), seconds_text(step_record.timing().median_s()));
  }
}

void BenchRunner::progress(const measurements::Measurement& r) {
  if (options_.quiet) return;
  const auto& t = r.timing();
  std::string rate;
  if (r.rates().gflops_per_s() > 0) rate += fmt::format("{:9.2f} GFLOP/s ", r.rates().gflops_per_s());
  if (r.rates().gbytes_per_s() > 0) rate += fmt::format("{:8.2f} GB/s", r.rates().gbytes_per_s());
  std::string busy = t.background_load() > 0.1
                         ? fmt::format("  [machine {:.0f}% busy with other work]", 100 * t.background_load())
                         : "";
  // 10%: well above the few percent a steady machine shows, well below a lost core.
  if (t.drift() > 0.1) busy += fmt::format("  [unsteady: parts of the case differ by {:.0f}%]", 100 * t.drift());
  log_ << fmt::format("{:<58} median {:>10}  {} cv {:.1f}% ({} x{}, {}){}\n", r.id(), seconds_text(t.median_s()),
                      rate, 100 * t.cv(), t.samples(), t.calls_per_sample(), t.stable() ? "stable" : "capped", busy);
  log_.flush();
}

}  // namespace llmsim::bench
