// `llmsim train FILE --search`: every tensor x pipeline x data-parallel layout (and ZeRO stage)
// of the scenario's model on all GPUs of its system at the scenario's global batch, each
// simulated in its own process, ranked by tokens/s among the layouts that fit.
#pragma once

#include <string>

#include "sim/data_paths.hpp"
#include "sim/training/train_config.hpp"

namespace llmsim::cli {

int run_train_search(const sim::DataPaths& paths, const sim::training::TrainRequest& base, const std::string& dir,
                     bool quiet);

}  // namespace llmsim::cli
