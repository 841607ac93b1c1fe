#include "sim/sweep/sweep_runner.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>

#include "common/input_error.hpp"
#include "sim/sweep/point_evaluator.hpp"
#include "sim/sweep/point_pool.hpp"
#include "sim/sweep/sweep_progress.hpp"
#include "sim/sweep/sweep_store.hpp"

namespace llmsim::sim::sweep {

namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_stop_signal(int) { g_stop = 1; }

// Installs the SIGINT/SIGTERM handler for the sweep's lifetime. No SA_RESTART: the parent's
// waitpid returns at once, so it stops launching and kills its children without delay.
class StopSignals {
 public:
  StopSignals() {
    g_stop = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

SweepGrid build_grid(const SweepScenario& scenario, const std::vector<std::string>& sets) {
  SweepGrid grid;
  for (const auto& s : sets) grid.add_axis(SweepGrid::parse_set(s));
  if (grid.has_axis("variant") && scenario.variant_names().empty()) {
    throw InputError("--set", fmt::format("variant: {} has no variants", scenario.path()));
  }
  // A scenario with variants is swept over each of them unless --set variant= picks some.
  if (!scenario.variant_names().empty() && !grid.has_axis("variant")) {
    grid.prepend_axis({"variant", scenario.variant_names()});
  }
  return grid;
}

// Every point's configuration is read by the loader first (cheap, no simulation): a key the
// scenario format does not have fails every point, so it is reported at once instead of as
// a CSV full of failures. Points that fail for some values only are run and recorded.
void check_grid(const SweepScenario& scenario, const SweepGrid& grid, const std::vector<std::size_t>& points) {
  std::optional<InputError> first;
  for (const std::size_t i : points) {
    try {
      check_point(scenario, grid.point(i));
      return;
    } catch (const InputError& e) {
      if (!first) first = e;
    }
  }
  if (first) throw *first;
}

// The last non-empty line of a point's stderr log, for a child that died without a row.
std::string last_log_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

// The row of a point whose process has exited: the one it wrote, or, when it died before
// writing one, a failure row saying how it died and its log's last line.
std::string finished_row(SweepStore& store, const SweepTable& table, const SweepPoint& point, std::size_t i,
                         const PointExit& exit) {
  std::string row = store.read_row(i);
  if (table.row_matches(row, i, point)) return row;
  PointOutcome failed;
  const std::string log = last_log_line(store.log_path(i));
  failed.error = exit.signalled ? fmt::format("the point's process was killed by signal {}", exit.exit_code - 128)
                                : fmt::format("the point's process exited with code {}", exit.exit_code);
  if (!log.empty()) failed.error += ": " + log;
  row = table.row(i, point, failed);
  store.save_row(i, row);
  return row;
}

// The closing line and exit code: 130 when interrupted, 1 when a point failed.
int report(const SweepTable& table, const std::map<std::size_t, std::string>& rows, std::size_t points, bool completed,
           const std::string& output, const SweepOptions& options) {
  std::size_t failed = 0, not_fit = 0;
  for (const auto& [i, row] : rows) {
    const std::string status = table.row_status(row);
    failed += status == kStatusFailed;
    not_fit += status == kStatusDoesNotFit;
  }
  if (!completed) {
    fmt::print(stderr, "sweep interrupted: {} of {} points finished and kept in {}\nresume with: {}\n", rows.size(),
               points, output, options.resume_hint);
    return 130;
  }
  if (!options.quiet) {
    fmt::print(stderr, "sweep done: {} points, {} ok, {} did not fit, {} failed; wrote {}\n", rows.size(),
               rows.size() - failed - not_fit, not_fit, failed, output);
  }
  return failed > 0 ? 1 : 0;
}

}  // namespace

std::string default_output(const std::string& scenario, const std::string& shard) {
  const std::string name = fs::path(scenario).stem().string();
  if (shard.empty()) return "results/" + name + "/sweep.csv";
  const Shard s = Shard::parse(shard);
  return fmt::format("results/{}/sweep.shard-{}-of-{}.csv", name, s.index, s.count);
}

int run_sweep(const DataPaths& paths, const SweepOptions& options) {
  const SweepScenario scenario(options.scenario, options.kind);
  const SweepGrid grid = build_grid(scenario, options.sets);
  const Shard shard = options.shard.empty() ? Shard{} : Shard::parse(options.shard);
  const std::vector<std::size_t> points = shard.points(grid.size());
  check_grid(scenario, grid, points);

  const std::string output = options.output.empty() ? default_output(options.scenario, options.shard) : options.output;
  const SweepManifest manifest = SweepManifest::of(scenario, grid, shard);
  const SweepTable table(grid, metric_columns(scenario.kind()));
  SweepStore store(output);
  std::map<std::size_t, std::string> rows;
  if (options.resume) {
    store.check_resumable(manifest);
    std::vector<std::string> dropped;
    rows = store.load_rows(table, grid, points, dropped);
    for (const auto& d : dropped) fmt::print(stderr, "sweep: {}\n", d);
  } else {
    store.start(manifest);
  }
  std::vector<std::size_t> todo;
  for (const std::size_t i : points) {
    if (!rows.count(i)) todo.push_back(i);
  }
  const int jobs = options.jobs > 0 ? options.jobs : static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  if (!options.quiet) {
    fmt::print(stderr, "sweep {} ({} scenario): {} points{}, {} to run, {} finished before, -j {}\n", scenario.path(),
               kind_name(scenario.kind()), grid.size(),
               shard.count > 1 ? fmt::format(", {} in shard {}/{}", points.size(), shard.index, shard.count) : "",
               todo.size(), rows.size(), jobs);
  }
  store.write_csv(table, rows);

  const StopSignals signals;
  SweepProgress progress(points.size(), rows.size(), !options.quiet);
  auto last_write = std::chrono::steady_clock::now();
  PointPool pool(jobs, g_stop);
  const bool completed = pool.run(
      todo,
      [&](std::size_t i) {
        const SweepPoint point = grid.point(i);
        store.save_row(i, table.row(i, point, evaluate_point(paths, scenario, point)));
        return 0;
      },
      [&](std::size_t i) { return store.log_path(i); },
      [&](std::size_t i, const PointExit& exit) {
        const std::string row = finished_row(store, table, grid.point(i), i, exit);
        const bool failed = table.row_status(row) == kStatusFailed;
        if (!failed) fs::remove(store.log_path(i));
        rows[i] = row;
        progress.point_done(failed);
        const auto now = std::chrono::steady_clock::now();
        if (now - last_write >= std::chrono::seconds(1)) {
          store.write_csv(table, rows);
          last_write = now;
        }
      });
  if (!completed) {
    // A child may have written its row and been killed before the parent reaped it: that row
    // is finished work, so it goes into the CSV too.
    for (const std::size_t i : todo) {
      const std::string row = store.read_row(i);
      if (!rows.count(i) && table.row_matches(row, i, grid.point(i))) rows[i] = row;
    }
  }
  store.write_csv(table, rows);
  progress.finish();

  return report(table, rows, points.size(), completed, output, options);
}

}  // namespace llmsim::sim::sweep
