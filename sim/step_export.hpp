// `llmsim export-chakra`: one step of a request (a prefill chunk or a decode step),
// lowered exactly as `predict` lowers it, written as Chakra execution traces, one file
// per tensor/pipeline-parallel rank.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/data_paths.hpp"
#include "sim/prediction.hpp"

namespace llmsim::sim {

struct StepExportRequest {
  PredictRequest request;        // hardware, model, dtype, batch, prompt, gen, tp, pp, software, devices
  std::string phase = "decode";  // prefill | decode
  int64_t step = 0;              // which prefill chunk or decode step (0 = the first)
  std::string prefix;            // files are PREFIX.<rank>.et
};

struct StepExport {
  std::vector<std::string> files;
  int ranks = 1;
  std::size_t ops = 0;    // in the lowered graph
  std::size_t nodes = 0;  // over all files (collectives and sends appear in each rank they involve)
  int64_t past_tokens = 0;
  int64_t new_tokens = 0;
};

/// Writes the files. Node durations are the ops' roofline times alone on the devices the
/// ranks map to. InputError for a bad request or an unwritable prefix. Creates the
/// process's SimGrid engine (to resolve devices as predict does): one export per process.
StepExport export_step(const DataPaths& paths, const StepExportRequest& request);

}  // namespace llmsim::sim
