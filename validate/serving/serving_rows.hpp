// Serving rows of the measurement corpus in llmsim's terms: a published benchmark run
// (engine, model, GPUs, parallelism, load, lengths) becomes a serve configuration, and the
// row's metric says which figure of the simulated run it is compared with. Rows that state
// the same run (its throughput, TTFT and TPOT) share one configuration and one simulation.
#pragma once

#include <optional>
#include <string>

#include "sim/serving/serve_config.hpp"
#include "sim/serving/serving_metrics.hpp"
#include "validate/corpus/corpus_mapping.hpp"
#include "validate/corpus/corpus_row.hpp"

namespace llmsim::validate {

/// True for the metrics a serving run reports (output_throughput, ttft_mean, tpot_mean, ...).
bool is_serving_metric(const std::string& metric);

struct ServingCase {
  sim::serving::ServeConfig config;
  std::string key;     // the same for every row of one published run
  std::string family;  // engine / GPU vendor / metric class ("vllm / nvidia / throughput")
};

/// The metric class, last part of a ServingCase family ("vllm / nvidia / throughput" -> "throughput").
std::string metric_class_of_family(const std::string& family);

struct MappedServingRow {
  std::optional<ServingCase> serving;
  std::string why_not;
  std::string why_kind;
};

/// The serve configuration a row describes, or why it cannot be expressed yet.
MappedServingRow map_serving_row(const CorpusRow& row, const CorpusMapping& mapping);

/// What a simulated run gives for each metric a row can name.
struct ServingFigures {
  double output_tokens_per_s = 0, total_tokens_per_s = 0, requests_per_s = 0;
  double ttft_mean_ms = 0, ttft_median_ms = 0, ttft_p99_ms = 0;
  double tpot_mean_ms = 0, tpot_median_ms = 0, e2e_mean_s = 0;
};
ServingFigures figures_of(const sim::serving::ServingMetrics& m, double input_tokens);
/// The figure a row's metric names; the row's unit is the metric's unit of the corpus README.
double figure_for(const ServingFigures& f, const std::string& metric);

}  // namespace llmsim::validate
