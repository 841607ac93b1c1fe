// Converts published figures in the public-measurements CSV format (columns id, source,
// hardware, mem_bw_gbs_spec, model, params_b, dtype, batch, prompt_len, gen_len, software,
// backend, metric, value, unit, notes) into Measurement records, so calibration can use
// other people's numbers beside our own. Rates become per-call seconds through the shape
// the row states (GEMM M=N=K, copied bytes, batch x tokens).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "measurement.pb.h"

namespace llmsim::measurements {

struct RowRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
  bool contains(std::int64_t id) const { return id >= first && id <= last; }
};

/// "113-130" or "7"; throws InputError naming `flag` when malformed.
RowRange parse_row_range(const std::string& text, const std::string& flag);

struct ImportResult {
  std::vector<Measurement> records;
  std::vector<std::string> skipped;  // "row 5: metric 'x' is not one this importer knows"
};

class PublicCsvImporter {
 public:
  /// Rows whose id lies in one of `ranges` are imported (all rows when empty).
  explicit PublicCsvImporter(std::vector<RowRange> ranges = {});

  /// Reads `path`. Throws InputError for a missing column, a malformed number or a row
  /// whose unit does not fit its metric; rows with metrics it does not know are skipped
  /// and listed in the result.
  ImportResult import_file(const std::string& path) const;

  /// The metrics this importer converts (gemm_throughput, copy_bandwidth, ...).
  static std::vector<std::string> known_metrics();

 private:
  bool selected(std::int64_t id) const;
  std::vector<RowRange> ranges_;
};

}  // namespace llmsim::measurements
