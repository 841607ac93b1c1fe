// Validation of `llmsim serve` over the corpus's serving rows: each published benchmark run is
// simulated (in a child process: SimGrid allows one engine per process), and every row of
// the run is compared with the figure its metric names. The engines' host work per step
// (profile `serving`: step_us, per_sequence_us, request_us) is the fitted part: each run is simulated on
// a grid of values, and for each engine the grid point with the smallest median |log error|
// (averaged over the metric classes) is chosen on all rows (in sample) and on the rows outside
// each cross-validation group
// (held out), so a held-out row is predicted with values its own source never saw.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sim/data_paths.hpp"
#include "validate/corpus/corpus_mapping.hpp"
#include "validate/corpus/corpus_row.hpp"
#include "validate/corpus/corpus_validation.hpp"

namespace llmsim::validate {

struct HostWorkPoint {
  double step_us = -1;  // negative: the profile's value (the defaults column)
  double per_sequence_us = -1;
  double request_us = -1;
};

struct ServingPrediction {
  const CorpusRow* row = nullptr;
  std::string family;  // engine / vendor / metric class
  std::string group;   // cross-validation group
  double measured = 0;
  double defaults = 0;   // the profile as shipped
  double in_sample = 0;  // host work fitted on every row of the engine
  double held_out = 0;   // host work fitted without the row's group
  std::vector<double> at_points;  // the figure at each grid point, in grid order (0: that run failed)
};

struct ServingReport {
  CvGroup cv = CvGroup::source;
  std::size_t rows = 0;  // serving rows read
  std::size_t runs = 0;  // distinct runs simulated
  std::vector<ServingPrediction> predicted;
  std::vector<std::pair<const CorpusRow*, std::string>> not_expressible;  // row, why
  std::vector<std::string> fitted;  // per engine: the in-sample grid point and its rows
  std::vector<HostWorkPoint> grid;   // the points fitted over (at_points' columns)
};

/// Simulates every expressible serving row's run at the profile's host work and at each
/// point of `grid` (empty: defaults only), `parallel` runs at once; `progress(done, total)`.
ServingReport validate_serving(const sim::DataPaths& paths, const CorpusMapping& mapping,
                               const std::vector<CorpusRow>& rows, CvGroup cv, const std::vector<HostWorkPoint>& grid,
                               int parallel, const std::function<void(std::size_t, std::size_t)>& progress = {});

/// The report as text: coverage, then median and p90 |error| and signed bias per family and
/// per metric class for the defaults, in-sample and held-out columns. Error = predicted /
/// measured - 1 (+ = llmsim's figure is larger).
std::string serving_report_text(const ServingReport& report);
/// One line per row.
std::string serving_rows_csv(const ServingReport& report);
/// One line per predicted row with its figure at every grid point (columns named
/// step/per_sequence/request in microseconds): for studying other fits without simulating again.
std::string serving_grid_csv(const ServingReport& report);

}  // namespace llmsim::validate
