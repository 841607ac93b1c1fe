// One published measurement of the corpus (validate/data/corpus/*.csv): the columns as the
// source gave them, checked and typed by CorpusReader. Nothing here is mapped to llmsim's
// names yet; that is CorpusMapping's job.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace llmsim::validate {

struct CorpusRow {
  std::string file;  // the CSV it came from
  int line = 0;      // its line in that file (1 = the header)
  std::int64_t id = 0;
  std::string source, hardware, mem_bw_gbs_spec, model, params_b, dtype, software, backend, metric, unit, notes;
  std::optional<std::int64_t> batch, prompt_len, gen_len;  // empty column: not stated
  double value = 0;                                          // in `unit`, finite and > 0
  std::string grade;                                         // the [rel:X] reliability grade
  std::string backend_name;                                  // first field of `backend`, lower case ("cuda", "cpu")
  std::map<std::string, std::string> flags;                  // the key=value fields after it ("threads" -> "16")

  std::string where() const { return file + ":" + std::to_string(line); }
  /// The publication: the source up to its first space (repository, thread or URL), lower case.
  std::string source_key() const;
};

}  // namespace llmsim::validate
