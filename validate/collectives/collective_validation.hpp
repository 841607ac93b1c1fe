// Validation of llmsim's all-reduce model (hwmodels::AllReduceImpl: alpha + ring bytes at a
// share of the peer link) on published all-reduce tables (validate/data/collectives). Each
// table row is mapped, by the rules of a mapping file, to the catalog system it ran on (whose
// peer link rate the model scales) and to the implementation it measured (NCCL with its own
// algorithm choice, NCCL's ring forced, RCCL, an engine's custom kernel). Per implementation
// the two parameters are fitted on all its rows (in sample) and without each cross-validation
// group (held out), so a held-out row is predicted by a fit its own source or GPU never saw.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hwmodels/efficiency_params.hpp"

namespace llmsim::validate {

enum class CollectiveCv { source, hardware };

struct CollectiveRow {
  int line = 0;              // in the table
  std::string source;        // the repository or thread (first word of the source column)
  std::string system;        // catalog id
  std::string implementation;
  int ranks = 0;
  double bytes = 0;          // message size
  double link_gbs = 0;       // the system's peer link, per direction
  double measured_us = 0;
  double in_sample_us = 0;
  std::optional<double> held_out_us;  // none when the implementation has one group only
  std::string group;
};

struct CollectiveFitResult {
  std::string implementation;
  hwmodels::AllReduceImpl in_sample;
  std::size_t rows = 0;
  std::size_t groups = 0;
};

struct CollectiveReport {
  CollectiveCv cv = CollectiveCv::hardware;
  std::vector<CollectiveRow> rows;
  std::vector<std::pair<int, std::string>> skipped;  // line, why
  std::vector<CollectiveFitResult> fits;
};

/// The alpha (us) and link share minimising the mean squared log error of
/// all_reduce_seconds over `rows` (two nested grids, then a finer one around the best).
hwmodels::AllReduceImpl fit_all_reduce(const std::vector<const CollectiveRow*>& rows);

/// Reads `table` (allreduce_single_node.csv's columns) with `mapping` (YAML: rules and
/// systems), loads each system's peer link from the catalog in `catalog_dir`, fits and
/// cross-validates. InputError with file:line on a malformed table or mapping.
CollectiveReport validate_collectives(const std::string& table, const std::string& mapping,
                                      const std::string& catalog_dir, CollectiveCv cv);

std::string collective_report_text(const CollectiveReport& report);
std::string collective_rows_csv(const CollectiveReport& report);

}  // namespace llmsim::validate
