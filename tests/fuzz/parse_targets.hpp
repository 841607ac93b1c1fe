// One function per parser of outside input: it writes the bytes to a file named as the parser
// expects (fuzz_input_file.hpp) and parses it. A parser may return or throw InputError; any
// other exception escapes, and a crash or sanitizer report is a finding. The libFuzzer
// harnesses (fuzz_*.cpp) and the regression replay (tests/unit/fuzz_regressions_test.cpp)
// share these, so a crash found by fuzzing is replayed by the normal test suite.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "common/input_error.hpp"
#include "hwmodels/software_profile.hpp"
#include "hwmodels/system_loader.hpp"
#include "sim/scenario.hpp"
#include "sim/serving/plan_config.hpp"
#include "sim/serving/dataset.hpp"
#include "sim/serving/serve_config.hpp"
#include "sim/serving/workload.hpp"
#include "sim/sweep/sweep_manifest.hpp"
#include "sim/training/train_config.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"
#include "validate/proto/measurement_reader.hpp"
#include "validate/corpus/corpus_reader.hpp"
#include "validate/proto/public_csv_importer.hpp"
#include "workloads/gguf/gguf_model.hpp"
#include "workloads/chakra/trace_importer.hpp"
#include "workloads/hf_config_reader.hpp"

namespace llmsim::fuzz {

using Target = void (*)(const uint8_t* data, std::size_t size);

template <typename Parse>
void refused_or_read(Parse parse) {
  try {
    parse();
  } catch (const InputError&) {
  }
}

/// Hardware system files. The loader insists that `id:` equals the file's stem, so the input
/// is written under the name its own `id:` line gives (when that is a plain name).
inline void system_yaml(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const std::regex id_line(R"(^id:[ \t]*([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})[ \t]*$)", std::regex::multiline);
  std::smatch m;
  const std::string stem = std::regex_search(text, m, id_line) ? m[1].str() : "fuzz-system";
  refused_or_read([&] { hwmodels::load_system(write_input(stem + ".yaml", data, size)); });
}

/// Scenario files: the same bytes go to each of the four scenario readers (run, serve, plan,
/// train), since a user can hand any YAML file to any of them.
inline void scenario_yaml(const uint8_t* data, std::size_t size) {
  const auto path = write_input("scenario.yaml", data, size);
  refused_or_read([&] { sim::load_scenario(path); });
  refused_or_read([&] { sim::serving::load_serve_config(path); });
  refused_or_read([&] { sim::serving::load_plan_config(path); });
  refused_or_read([&] { sim::training::load_train_config(path); });
}

/// Hugging Face config.json files.
inline void hf_config(const uint8_t* data, std::size_t size) {
  refused_or_read([&] {
    workloads::read_hf_config(write_input("config.json", data, size),
                              LLMSIM_SOURCE_DIR "/workloads/model_type_defaults.yaml");
  });
}

/// Software profiles (calibration writes and reads them).
inline void software_profile(const uint8_t* data, std::size_t size) {
  refused_or_read([&] { hwmodels::load_software_profile(write_input("profile.yaml", data, size)); });
}

/// Length-delimited Measurement records (llmsim-bench output, `llmsim validate` input).
inline void measurements(const uint8_t* data, std::size_t size) {
  refused_or_read([&] { measurements::read_measurements(write_input("records.pb", data, size)); });
}

/// Public-measurements CSV (`llmsim-bench import-csv`).
inline void public_csv(const uint8_t* data, std::size_t size) {
  refused_or_read([&] { measurements::PublicCsvImporter().import_file(write_input("public.csv", data, size)); });
}

/// Serving request traces: JSONL when the input starts with '{', else CSV.
inline void request_trace(const uint8_t* data, std::size_t size) {
  const bool jsonl = size > 0 && data[0] == '{';
  refused_or_read([&] { sim::serving::read_request_trace(write_input(jsonl ? "trace.jsonl" : "trace.csv", data, size)); });
}

/// One rank's Chakra execution trace, read and built into an OpGraph.
inline void chakra_et(const uint8_t* data, std::size_t size) {
  refused_or_read([&] {
    const auto file = chakra::read_trace_file(write_input("fuzz.0.et", data, size));
    chakra::import_trace(std::vector<chakra::TraceFile>{file});
  });
}

/// GGUF model files: the header is read and turned into a model config and weight mix.
inline void gguf(const uint8_t* data, std::size_t size) {
  refused_or_read([&] { workloads::gguf_model(workloads::read_gguf(write_input("model.gguf", data, size))); });
}

/// Measurement-corpus CSV files (validate/data/corpus), with one reserved source to match.
inline void corpus_csv(const uint8_t* data, std::size_t size) {
  refused_or_read([&] {
    validate::CorpusReader(validate::ReservedSources::of({"github.com/o/r/issues/4"}))
        .read_file(write_input("corpus.csv", data, size));
  });
}

/// ShareGPT-format datasets (`serve --dataset`): read, filtered and sampled.
inline void sharegpt(const uint8_t* data, std::size_t size) {
  refused_or_read([&] {
    const auto d = sim::serving::read_sharegpt(write_input("sharegpt.json", data, size));
    sim::serving::sample_pairs(d, 16, 1);
  });
}

/// Sweep manifests (the JSON beside a sweep CSV, read by --resume and sweep-merge).
inline void sweep_manifest(const uint8_t* data, std::size_t size) {
  refused_or_read([&] { sim::sweep::SweepManifest::read(write_input("sweep.csv.sweep.json", data, size)); });
}

/// Name (as in tests/fuzz/regressions/<name>/ and fuzz_<name>) -> target.
inline const std::map<std::string, Target>& targets() {
  static const std::map<std::string, Target> all{
      {"system_yaml", system_yaml},     {"scenario_yaml", scenario_yaml}, {"hf_config", hf_config},
      {"software_profile", software_profile}, {"measurements", measurements}, {"public_csv", public_csv},
      {"request_trace", request_trace}, {"chakra_et", chakra_et},       {"gguf", gguf},
      {"corpus_csv", corpus_csv},       {"sharegpt", sharegpt},           {"sweep_manifest", sweep_manifest}};
  return all;
}

}  // namespace llmsim::fuzz
