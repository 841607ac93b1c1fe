// llmsim validate --corpus DIR: reads the public measurement corpus, refuses bad or reserved
// rows, predicts every expressible row and prints the cross-validated error table.
#include <fmt/format.h>

#include "sim/atomic_file.hpp"
#include "validate/cli/validation_commands.hpp"
#include "validate/corpus/corpus_reader.hpp"
#include "validate/corpus/corpus_report.hpp"
#include "validate/corpus/corpus_validation.hpp"

namespace llmsim::cli {

int run_corpus_validation(const sim::DataPaths& paths, const CorpusFlags& flags) {
  const auto cv = validate::parse_cv_group(flags.cv);
  const std::string reserved_path =
      flags.reserved.empty() ? paths.root() + "/validate/reserved_sources.txt" : flags.reserved;
  const std::string mapping_path = flags.mapping.empty() ? flags.dir + "/mapping.yaml" : flags.mapping;
  const validate::CorpusReader reader(validate::ReservedSources::load(reserved_path));
  const auto rows = reader.read_dir(flags.dir);
  validate::CorpusValidator validator(paths, validate::CorpusMapping::load(mapping_path));
  if (!flags.json) fmt::print(stderr, "corpus: {} rows read; predicting and cross-validating by {}...\n", rows.size(), flags.cv);
  const auto report = validator.run(rows, cv, flags.fit, validate::FitOptions{});
  if (!flags.rows_csv.empty()) sim::write_file_atomically(flags.rows_csv, validate::corpus_rows_csv(report));
  if (flags.json) {
    fmt::print("{}\n", validate::corpus_report_json(report).dump(2));
    return kOk;
  }
  fmt::print("{}", validate::corpus_report_text(report));
  fmt::print("\nfitted on every expressible row (what the in-sample column uses):\n");
  for (const auto& f : report.fitted) fmt::print("  {}\n", f);
  if (!flags.rows_csv.empty()) fmt::print("one line per row: {}\n", flags.rows_csv);
  return kOk;
}

}  // namespace llmsim::cli
