// The all-reduce model's fit on published tables: it recovers alpha and the link share from
// times worked out by hand, holds a group out only when the other groups can tell the two
// terms apart, and refuses malformed tables and mappings with file:line.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "common/input_error.hpp"
#include "hwmodels/catalog.hpp"
#include "hwmodels/software_profile.hpp"
#include "test_paths.hpp"
#include "validate/collectives/collective_validation.hpp"

using namespace llmsim;
using namespace llmsim::validate;
using Catch::Matchers::Contains;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("llmsim_collective_test_" + name);
  std::ofstream(path) << text;
  return path.string();
}

const std::string kHeader = "source,system,gpus,library,algorithm_or_notes,bytes,time_us,busbw_gbs,quote\n";

// alpha 20 us and 0.5 of a 450 GB/s link over 8 ranks: t = 20 + B x 1.75 / 225e3 us (B in bytes).
double hand_time_us(double bytes) { return 20 + bytes * 1.75 / 225e3; }

std::string table_rows(const std::string& source, const std::string& system, const std::vector<double>& sizes) {
  std::string out;
  for (double b : sizes)
    out += fmt::format("{},\"{}\",8,NCCL 2.x,ring,{:.0f},{:.6f},,\"line\"\n", source, system, b, hand_time_us(b));
  return out;
}

const std::string kMapping =
    "implementations:\n"
    "  - match: \"NCCL\"\n"
    "    implementation: nccl\n"
    "systems:\n"
    "  - match: \"H100\"\n"
    "    catalog: dgx-h100\n"
    "  - match: \"H200\"\n"
    "    catalog: dgx-h200\n";

}  // namespace

TEST_CASE("the all-reduce fit recovers alpha and the link share from times worked out by hand", "[validate][collectives]") {
  // Both 8x H100 and 8x H200 have 450 GB/s NVLink 4 per direction in the catalog.
  const auto table = write_temp("exact.csv", kHeader + table_rows("github.com/a/x", "8x H100 SXM", {8e3, 1e6, 1e8}) +
                                                 table_rows("github.com/b/y", "8x H200 SXM", {3e4, 4e6, 2e9}));
  const auto mapping = write_temp("exact.yaml", kMapping);
  const auto report = validate_collectives(table, mapping, test::catalog_dir(), CollectiveCv::hardware);
  REQUIRE(report.rows.size() == 6);
  REQUIRE(report.fits.size() == 1);
  CHECK(report.fits[0].in_sample.latency_us == Approx(20).epsilon(0.01));
  CHECK(report.fits[0].in_sample.bandwidth_fraction == Approx(0.5).epsilon(0.01));
  // Each GPU's rows span both terms, so each is predicted by the other's fit, as well.
  for (const auto& r : report.rows) {
    REQUIRE(r.held_out_us);
    CHECK(*r.held_out_us == Approx(r.measured_us).epsilon(0.02));
    CHECK(r.link_gbs == 450);
  }
}

TEST_CASE("a group is held out only when the others' messages tell alpha from the link share", "[validate][collectives]") {
  // The H200 rows are all large: a fit on them alone knows nothing of alpha, so the H100 rows
  // get no held-out figure; the H100 rows span 8 kB to 100 MB, so the H200 rows do.
  const auto table = write_temp("ident.csv", kHeader + table_rows("github.com/a/x", "8x H100 SXM", {8e3, 1e6, 1e8}) +
                                                 table_rows("github.com/b/y", "8x H200 SXM", {1e9, 2e9}));
  const auto report =
      validate_collectives(table, write_temp("ident.yaml", kMapping), test::catalog_dir(), CollectiveCv::source);
  for (const auto& r : report.rows) CHECK(r.held_out_us.has_value() == (r.system == "dgx-h200"));
}

TEST_CASE("collective tables and mappings with errors are refused at their line", "[validate][collectives]") {
  const auto mapping = write_temp("m.yaml", kMapping);
  const auto bad_time = write_temp("bad.csv", kHeader + "github.com/a/x,8x H100,8,NCCL,ring,1024,fast,,q\n");
  CHECK_THROWS_WITH(validate_collectives(bad_time, mapping, test::catalog_dir(), CollectiveCv::source),
                    Contains("bad.csv:2") && Contains("time_us"));
  const auto both = write_temp("both.yaml",
                               "implementations:\n  - match: NCCL\n    implementation: nccl\n    skip: why\nsystems: []\n");
  CHECK_THROWS_WITH(validate_collectives(bad_time, both, test::catalog_dir(), CollectiveCv::source),
                    Contains("not both"));
  const auto regex = write_temp("regex.yaml", "implementations:\n  - match: \"(\"\n    implementation: nccl\nsystems: []\n");
  CHECK_THROWS_WITH(validate_collectives(bad_time, regex, test::catalog_dir(), CollectiveCv::source),
                    Contains("regex.yaml") && Contains("regular expression"));
  // A row whose system has no mapping is left out and said so, not guessed.
  const auto other = write_temp("other.csv", kHeader + "github.com/a/x,8x L40S,8,NCCL,ring,1024,30,,q\n");
  const auto report = validate_collectives(other, mapping, test::catalog_dir(), CollectiveCv::source);
  CHECK(report.rows.empty());
  REQUIRE(report.skipped.size() == 1);
  CHECK(report.skipped[0].second == "system not mapped to the catalog");
}

TEST_CASE("the serving engines' profiles take NCCL's fitted all-reduce over NVLink, RCCL's on MI300X",
          "[validate][collectives]") {
  // The profiles' values must be the fit of the committed table (rounded as written there).
  const auto report =
      validate_collectives(test::source_dir() + "/validate/data/collectives/allreduce_single_node.csv",
                           test::source_dir() + "/validate/data/collectives/mapping.yaml", test::catalog_dir(),
                           CollectiveCv::source);
  std::map<std::string, hwmodels::AllReduceImpl> fitted;
  for (const auto& f : report.fits) fitted[f.implementation] = f.in_sample;
  const hwmodels::ProfileSet profiles(test::source_dir() + "/hwmodels/profiles");
  const auto vllm = profiles.load("vllm");
  const hwmodels::Catalog catalog(test::catalog_dir());
  const auto h100 = catalog.load("dgx-h100");
  const auto nvidia = vllm.efficiency_for(h100, *h100.first_device(hwmodels::DeviceKind::gpu));
  const auto* nccl = nvidia.all_reduce_for(64e6, "nvlink4");
  REQUIRE(nccl != nullptr);
  CHECK(nccl->name == "nccl-nvls");
  CHECK(nccl->latency_us == Approx(fitted["nccl-nvls"].latency_us).epsilon(0.01));
  CHECK(nccl->bandwidth_fraction == Approx(fitted["nccl-nvls"].bandwidth_fraction).epsilon(0.01));
  // A100's NVLink 3 switches have no NVLS: NCCL's fit on its own rows.
  const auto* a100 = nvidia.all_reduce_for(64e6, "nvlink3");
  REQUIRE(a100 != nullptr);
  CHECK(a100->latency_us == Approx(fitted["nccl-nvlink3"].latency_us).epsilon(0.01));
  CHECK(a100->bandwidth_fraction == Approx(fitted["nccl-nvlink3"].bandwidth_fraction).epsilon(0.01));
  const auto* custom = nvidia.all_reduce_for(1e5, "nvlink4");
  REQUIRE(custom != nullptr);
  CHECK(custom->latency_us == Approx(fitted["vllm-custom"].latency_us).epsilon(0.01));
  CHECK(nvidia.all_reduce_for(1e5, "pcie4-x16") == nullptr);  // no fitted collective over PCIe
  // What a prediction states it assumed names both, in order, with their limits.
  const auto line = hwmodels::describe_all_reduce(nvidia);
  CHECK_THAT(line, Contains("vllm-custom (11.6 us") && Contains("messages up to 2097152 bytes") &&
                       Contains("else nccl-nvls (37.8 us"));
  const auto mi300x = catalog.load("mi300x-8x");
  const auto amd = vllm.efficiency_for(mi300x, *mi300x.first_device(hwmodels::DeviceKind::gpu));
  const auto* rccl = amd.all_reduce_for(1e5, "infinity-fabric");
  REQUIRE(rccl != nullptr);
  CHECK(rccl->latency_us == Approx(fitted["rccl"].latency_us).epsilon(0.01));
}
