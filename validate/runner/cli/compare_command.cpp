// llmsim-bench compare: the same cases timed in two or more runs, side by side, with how far
// each moved between runs. Exit code 6 when any case moved more than --tolerance, so a
// repeatability check or a before/after comparison can gate a script.
#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.hpp"
#include "validate/proto/measurement_reader.hpp"
#include "validate/runner/cli/commands.hpp"
#include "validate/runner/core/run_comparison.hpp"

namespace llmsim::bench::cli {

namespace {

struct CompareFlags {
  std::vector<std::string> files;
  std::string stat = "median";
  double tolerance_pct = 5;
};

// GEMM is judged by its arithmetic rate; every other kernel by the bytes it streams.
std::string rate_text(const CaseComparison& c, double seconds) {
  if (seconds <= 0) return "-";
  if (c.kernel == measurements::KERNEL_CLASS_GEMM && c.gflops > 0) return fmt::format("{:.2f} GFLOP/s", c.gflops / seconds);
  if (c.gbytes > 0) return fmt::format("{:.2f} GB/s", c.gbytes / seconds);
  return fmt::format("{:.3f} ms", 1e3 * seconds);
}

int run_compare(const CompareFlags& f) {
  std::vector<std::vector<measurements::Measurement>> runs;
  for (const auto& file : f.files) runs.push_back(measurements::read_measurements(file));
  const CompareStat stat = f.stat == "min" ? CompareStat::kMin : CompareStat::kMedian;
  const double tolerance = f.tolerance_pct / 100;
  const RunComparison result = compare_runs(runs, f.files, stat, tolerance);
  if (result.compared == 0) throw InputError(f.files.front(), "no case id appears in two of the files; nothing to compare");

  fmt::print("{} of {} runs, tolerance {:.1f}%:\n", f.stat == "min" ? "fastest sample" : "median", runs.size(),
             f.tolerance_pct);
  for (std::size_t i = 0; i < f.files.size(); ++i) fmt::print("  run {}: {}\n", i + 1, f.files[i]);
  std::size_t id_width = 4;
  for (const auto& c : result.cases) id_width = std::max(id_width, c.id.size());
  fmt::print("{:<{}}", "case", id_width);
  for (std::size_t i = 0; i < runs.size(); ++i) fmt::print(" {:>16}", fmt::format("run {}", i + 1));
  fmt::print(" {:>7} {:>14} {:>9}  verdict\n", "spread", "cv within run", "max drift");
  for (const auto& c : result.cases) {
    fmt::print("{:<{}}", c.id, id_width);
    double cv_low = 1e9, cv_high = 0;
    int present = 0;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      fmt::print(" {:>16}", c.seconds[i] ? rate_text(c, *c.seconds[i]) : "absent");
      if (!c.seconds[i]) continue;
      cv_low = std::min(cv_low, c.cv[i]);
      cv_high = std::max(cv_high, c.cv[i]);
      ++present;
    }
    const std::string cv = present ? fmt::format("{:.1f}-{:.1f}%", 100 * cv_low, 100 * cv_high) : "-";
    std::string verdict = present < 2 ? "in one run only" : (c.within ? "within" : "BEYOND");
    if (c.max_background_load > 0.1) verdict += fmt::format(" (machine up to {:.0f}% busy)", 100 * c.max_background_load);
    fmt::print(" {:>6.1f}% {:>14} {:>8.1f}%  {}\n", 100 * c.spread, cv, 100 * c.max_drift, verdict);
  }
  fmt::print("{} of {} compared cases within {:.1f}% run to run", result.compared - result.beyond, result.compared,
             f.tolerance_pct);
  fmt::print("{}\n", result.beyond ? fmt::format("; {} beyond", result.beyond) : "");
  return result.beyond ? kRunsDiffer : kOk;
}

}  // namespace

void add_compare_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand("compare", "compare the same cases across runs (repeatability, before/after)");
  cmd->add_option("files", flags->files, "two or more measurement files (.pb), one run each")->required()->expected(2, -1);
  cmd->add_option("--stat", flags->stat, "median (default) or min: the fastest sample, STREAM's best-rate convention")
      ->check(CLI::IsMember({"median", "min"}));
  cmd->add_option("--tolerance", flags->tolerance_pct, "percent a case may move between runs (default 5)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->callback([&action, flags] { action = [flags] { return run_compare(*flags); }; });
}

}  // namespace llmsim::bench::cli
