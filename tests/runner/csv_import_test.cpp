// Published figures become records whose times follow from the stated shapes:
// t = 2 n^3 / rate for square GEMMs, 2 x tensor bytes / rate for copies, batch / rate for decode.
#include <catch2/catch.hpp>

#include <cmath>

#include "common/input_error.hpp"
#include "validate/proto/public_csv_importer.hpp"

using namespace llmsim::measurements;

namespace {
const std::string kRows = std::string(LLMSIM_RUNNER_FIXTURES) + "/public_rows.csv";

const Measurement& row(const ImportResult& r, const std::string& id) {
  for (const auto& m : r.records) {
    if (m.provenance().source_row() == id) return m;
  }
  FAIL("row " << id << " not imported");
  throw std::logic_error("unreachable");
}
}  // namespace

TEST_CASE("GEMM TFLOP/s rows become GEMM records with the square shape and its time", "[import]") {
  const ImportResult r = PublicCsvImporter().import_file(kRows);
  const Measurement& h100 = row(r, "113");
  CHECK(h100.kernel() == KERNEL_CLASS_GEMM);
  CHECK(h100.dtype() == "f16");
  CHECK(h100.shape().m() == 4096);
  CHECK(h100.shape().k() == 4096);
  CHECK(h100.rates().gflops_per_s() == Approx(760040));
  CHECK(h100.timing().median_s() == Approx(2.0 * std::pow(4096.0, 3) / 760.04e12));
  CHECK(h100.device().name() == "NVIDIA H100 80GB HBM3 (SXM, docker)");
  CHECK(h100.device().memory_bandwidth_spec_gbs() == 3350);
  CHECK(h100.execution().backend() == "cuda");
  CHECK(h100.provenance().origin() == ORIGIN_IMPORTED);
  CHECK(h100.provenance().reliability() == "A-");
  CHECK(h100.timing().timer() == "reported");

  const Measurement& best = row(r, "122");  // "best of n": a rate with no single shape
  CHECK(best.shape().m() == 0);
  CHECK(best.timing().median_s() == 0);
  CHECK(best.rates().gflops_per_s() == Approx(759400));
}

TEST_CASE("copy bandwidth rows take their size from the notes and count both tensors", "[import]") {
  const ImportResult r = PublicCsvImporter().import_file(kRows);
  const Measurement& a100 = row(r, "126");
  const double tensor = std::round(std::pow(2.0, 26.5)) * 4;
  CHECK(a100.kernel() == KERNEL_CLASS_COPY);
  CHECK(a100.work().bytes_moved() == Approx(2 * tensor));
  CHECK(a100.timing().median_s() == Approx(2 * tensor / 1490e9));
  CHECK(a100.device().memory_bandwidth_spec_gbs() == Approx(1987));  // midpoint of 1935-2039
}

TEST_CASE("llama.cpp decode rows become decode-step records", "[import]") {
  const ImportResult r = PublicCsvImporter().import_file(kRows);
  const Measurement& step = row(r, "2");
  CHECK(step.kernel() == KERNEL_CLASS_DECODE_STEP);
  CHECK(step.dtype() == "q4_k_m");
  CHECK(step.model().model() == "Meta-Llama-3-8B");
  CHECK(step.model().generated_tokens() == 512);
  CHECK(step.model().weight_file_bytes() == Approx(4.58 * 1073741824.0));
  CHECK(step.rates().tokens_per_s() == Approx(130.58));
  CHECK(step.timing().median_s() == Approx(1.0 / 130.58));
  CHECK(step.execution().software() == "llama.cpp 4426e298 (b2824)");
}

TEST_CASE("row ranges select rows; unknown metrics are skipped and listed", "[import]") {
  const ImportResult all = PublicCsvImporter().import_file(kRows);
  CHECK(all.records.size() == 4);
  REQUIRE(all.skipped.size() == 1);
  CHECK(all.skipped[0].find("power_draw") != std::string::npos);
  const ImportResult some = PublicCsvImporter({parse_row_range("113-126", "--rows")}).import_file(kRows);
  CHECK(some.records.size() == 3);
  CHECK_THROWS_WITH(parse_row_range("130-113", "--rows"), Catch::Contains("ends before it starts"));
  CHECK_THROWS_AS(parse_row_range("all", "--rows"), llmsim::InputError);
  CHECK_THROWS_WITH(PublicCsvImporter().import_file("missing.csv"), Catch::Contains("missing.csv"));
}
