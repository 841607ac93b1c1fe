// llmsim-bench run: measure a suite (and/or a model step) on one backend.
#include <fmt/format.h>

#include <iostream>
#include <optional>

#include "common/input_error.hpp"
#include "validate/proto/measurement_writer.hpp"
#include "validate/runner/cli/commands.hpp"
#include "validate/runner/core/backend_registry.hpp"
#include "validate/runner/core/bench_runner.hpp"
#include "validate/runner/core/data_locator.hpp"
#include "validate/runner/core/host_info.hpp"
#include "validate/runner/core/suite.hpp"

namespace llmsim::bench::cli {

namespace {

struct RunFlags {
  std::string backend;
  std::string suite;
  std::string model_step;
  std::int64_t context = 128;
  std::string dtype = "f32";
  std::string output;
  int threads = -1;
  int device = 0;
  double max_time = -1;
  std::string hardware_id;
  bool dry_run = false;
  bool quiet = false;
};

// The cases to run: the suite's, plus a model step when --model-step asks for one.
Suite assemble(const RunFlags& f, const DataLocator& data) {
  Suite suite;
  if (!f.suite.empty() || f.model_step.empty()) suite = load_suite(data.suite(f.suite.empty() ? "quick" : f.suite));
  if (!f.model_step.empty()) {
    if (suite.name.empty()) suite.name = "model-step-" + f.model_step;
    SuiteCase step;
    step.spec.kernel = measurements::KERNEL_CLASS_DECODE_STEP;
    step.spec.model = f.model_step;
    step.spec.context = f.context;
    step.spec.dtype = f.dtype;
    step.timing.max_time_s = 5.0;
    step.timing.min_samples = 10;
    suite.cases.push_back(step);
  }
  return suite;
}

void dry_run(const std::vector<SuiteCase>& cases, const std::string& backend) {
  for (const SuiteCase& c : cases) {
    fmt::print("{}  (max {:.3g} s)\n", c.spec.id(backend), c.timing.max_time_s);
  }
  fmt::print("{} cases for {}\n", cases.size(), backend);
}

int run(const RunFlags& f, const std::string& argv0, const std::string& command_line) {
  const DataLocator data(argv0);
  const Suite suite = assemble(f, data);
  const auto cases = BenchRunner::cases_for(suite, f.backend);
  if (cases.empty()) {
    throw InputError(suite.file, fmt::format("suite '{}' has no cases for the {} backend", suite.name, f.backend));
  }
  if (f.dry_run) {
    dry_run(cases, f.backend);
    return kOk;
  }
  auto backend = make_backend(f.backend, BackendOptions{f.device});
  const std::string output =
      f.output.empty() ? fmt::format("llmsim-bench-{}-{}.pb", f.backend, suite.name) : f.output;
  measurements::MeasurementWriter writer(output);

  RunContext context;
  context.backend = backend->name();
  context.device = backend->device();
  context.device.set_hardware_id(f.hardware_id);
  context.environment = host_environment();
  for (const auto& [lib, version] : backend->libraries()) (*context.environment.mutable_libraries())[lib] = version;
  context.environment.set_suite(suite.file.empty() ? suite.name : suite.name + " (" + suite.file + ")");
  context.environment.set_command_line(command_line);
  if (!f.quiet) {
    fmt::print("llmsim-bench {}: {} backend on {} ({}), suite {}, {} cases -> {}\n", runner_version(), f.backend,
               context.device.name(), context.device.driver(), suite.name, cases.size(), output);
  }

  RunOptions options;
  if (f.threads > 0) options.threads = f.threads;
  if (f.max_time > 0) options.max_time_s = f.max_time;
  options.quiet = f.quiet;
  BenchRunner runner(*backend, RecordBuilder(context), writer, std::cout, options);
  const RunSummary summary = runner.run(suite);

  fmt::print("recorded {} measurements from {} cases in {:.1f} s to {}\n", summary.recorded, summary.cases_run,
             summary.wall_s, output);
  for (const auto& s : summary.skipped) fmt::print("skipped: {}\n", s);
  for (const auto& failure : summary.failures) fmt::print(stderr, "llmsim-bench: WRONG RESULT, not recorded: {}\n", failure);
  if (!summary.failures.empty()) return kVerificationFailed;
  if (summary.recorded == 0) {
    throw InputError(suite.file, fmt::format("the {} backend could run none of the suite's cases (see skipped)",
                                             f.backend));
  }
  return kOk;
}

}  // namespace

void add_run_command(CLI::App& app, Action& action, const std::string& argv0, const std::string& command_line) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand("run", "measure a suite of kernels (and/or a model decode step) on one backend");
  cmd->add_option("--backend", flags->backend, "cpu | vulkan | cuda")
      ->required()
      ->check(CLI::IsMember(backend_names()));
  cmd->add_option("--suite", flags->suite, "quick | full | path to a suite .yaml (default quick)");
  cmd->add_option("--model-step", flags->model_step,
                  "time a whole decode step of this model (gpt2 or a GPT-2 config.json), op by op and end to end");
  cmd->add_option("--context", flags->context, "model step: tokens already in the KV cache (default 128)")
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_option("--dtype", flags->dtype, "model step: matmul weight format f32 | f16 | q8_0 | q4_0 (default f32)")
      ->check(CLI::IsMember({"f32", "f16", "q8_0", "q4_0"}));
  cmd->add_option("-o,--output", flags->output, "measurement file (default llmsim-bench-BACKEND-SUITE.pb)");
  cmd->add_option("--threads", flags->threads, "CPU threads for every case (default: each case's, else all cores)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--device", flags->device, "GPU index for vulkan/cuda (default 0)")->check(CLI::Range(0, 64));
  cmd->add_option("--max-time", flags->max_time, "cap on seconds per case, replacing the suite's")
      ->check(CLI::Range(0.001, 3600.0));
  cmd->add_option("--hardware-id", flags->hardware_id, "llmsim catalog id of this machine, stored in each record");
  cmd->add_flag("--dry-run", flags->dry_run, "list the cases and exit");
  cmd->add_flag("-q,--quiet", flags->quiet, "no per-case lines");
  cmd->callback([&action, flags, argv0, command_line] {
    action = [flags, argv0, command_line] { return run(*flags, argv0, command_line); };
  });
}

}  // namespace llmsim::bench::cli
