#include "validate/runner/core/run_comparison.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/input_error.hpp"
#include "validate/runner/core/sample_stats.hpp"

namespace llmsim::bench {

namespace {

double statistic(const measurements::Measurement& r, CompareStat stat) {
  return stat == CompareStat::kMin ? r.timing().min_s() : r.timing().median_s();
}

bool same_work(const measurements::Work& a, const measurements::Work& b) {
  const auto close = [](double x, double y) { return std::abs(x - y) <= 1e-9 * std::max(std::abs(x), std::abs(y)); };
  return close(a.flops(), b.flops()) && close(a.bytes_moved(), b.bytes_moved());
}

}  // namespace

RunComparison compare_runs(const std::vector<std::vector<measurements::Measurement>>& runs,
                           const std::vector<std::string>& names, CompareStat stat, double tolerance) {
  RunComparison out;
  std::map<std::string, std::size_t> row_of;                     // id -> index in out.cases
  std::map<std::string, const measurements::Work*> work_of;      // id -> work of its first record
  for (std::size_t run = 0; run < runs.size(); ++run) {
    std::map<std::string, bool> seen;
    for (const auto& r : runs[run]) {
      if (seen[r.id()]) {
        throw InputError(names[run], "holds case '" + r.id() + "' twice; compare files of one run each");
      }
      seen[r.id()] = true;
      auto [it, fresh] = row_of.try_emplace(r.id(), out.cases.size());
      if (fresh) {
        CaseComparison c;
        c.id = r.id();
        c.kernel = r.kernel();
        c.seconds.assign(runs.size(), std::nullopt);
        c.cv.assign(runs.size(), 0.0);
        c.gflops = r.work().flops() / 1e9;
        c.gbytes = r.work().bytes_moved() / 1e9;
        out.cases.push_back(std::move(c));
        work_of[r.id()] = &r.work();
      } else if (!same_work(*work_of[r.id()], r.work())) {
        throw InputError(names[run], "case '" + r.id() + "' does different work than in an earlier file; not comparable");
      }
      CaseComparison& c = out.cases[it->second];
      c.seconds[run] = statistic(r, stat);
      c.cv[run] = r.timing().cv();
      c.max_background_load = std::max(c.max_background_load, r.timing().background_load());
      // From the samples where the record keeps them (files older than the drift field too).
      const auto& samples = r.timing().samples_s();
      const double drift =
          samples.empty() ? r.timing().drift() : summarize(std::vector<double>(samples.begin(), samples.end())).drift;
      c.max_drift = std::max(c.max_drift, drift);
    }
  }
  for (CaseComparison& c : out.cases) {
    double fastest = 0, slowest = 0;
    int present = 0;
    for (const auto& s : c.seconds) {
      if (!s) continue;
      fastest = present ? std::min(fastest, *s) : *s;
      slowest = present ? std::max(slowest, *s) : *s;
      ++present;
    }
    c.in_every_run = present == static_cast<int>(runs.size());
    if (present < 2) continue;
    ++out.compared;
    c.spread = slowest > 0 ? (slowest - fastest) / slowest : 0;
    c.within = c.spread <= tolerance;
    if (!c.within) ++out.beyond;
  }
  return out;
}

}  // namespace llmsim::bench
