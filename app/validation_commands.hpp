// The validation subcommands of llmsim, implemented in validate/ (sim must not depend on
// validate) and attached to the llmsim executable by validate/CMakeLists.txt.
#pragma once

#include <string>
#include <vector>

#include "app/commands.hpp"
#include "sim/data_paths.hpp"

namespace llmsim::cli {

void add_validate_command(CLI::App& app, Action& action);
void add_calibrate_command(CLI::App& app, Action& action);
void add_calibrate_profile_command(CLI::App& app, Action& action);
void add_local_system_command(CLI::App& app, Action& action);

/// `llmsim validate --corpus DIR`: the public corpus, cross-validated (app/corpus_validate.cpp).
struct CorpusFlags {
  std::string dir;                // --corpus
  std::string cv = "source";      // --cv source | hardware | engine
  std::string mapping;            // --mapping (default: DIR/mapping.yaml)
  std::string reserved;           // --reserved (default: <data root>/validate/reserved_sources.txt)
  std::string rows_csv;           // --csv: one line per row
  std::vector<std::string> fit{"launch_overhead_us", "matmul.max_fraction", "matmul.vector_fraction",
                               "memory.kernel_fraction"};
  bool json = false;
  bool serving = false;   // --serving: the serving rows, each run simulated with `llmsim serve`
  std::string host_grid;  // --host-grid STEP_US,...:PER_SEQ_US,...: host work values fitted with --serving
  std::string grid_csv;   // --grid-csv: with --serving, every row's figure at every grid point
  int jobs = 2;
};
int run_corpus_validation(const sim::DataPaths& paths, const CorpusFlags& flags);

}  // namespace llmsim::cli
