// Run-to-run comparison: spreads worked out by hand from made-up records.
#include <catch2/catch.hpp>

#include "common/input_error.hpp"
#include "validate/runner/core/run_comparison.hpp"

using namespace llmsim::bench;
using llmsim::measurements::Measurement;

namespace {

Measurement record(const std::string& id, double median_s, double min_s, double bytes = 1e9, double load = 0,
                   double drift = 0) {
  Measurement r;
  r.set_id(id);
  r.set_kernel(llmsim::measurements::KERNEL_CLASS_TRIAD);
  r.mutable_work()->set_bytes_moved(bytes);
  r.mutable_timing()->set_median_s(median_s);
  r.mutable_timing()->set_min_s(min_s);
  r.mutable_timing()->set_cv(0.02);
  r.mutable_timing()->set_background_load(load);
  r.mutable_timing()->set_drift(drift);
  return r;
}

}  // namespace

TEST_CASE("spread is (slowest - fastest) / slowest of the chosen statistic", "[compare]") {
  const std::vector<std::vector<Measurement>> runs = {
      {record("a", 0.100, 0.090), record("b", 0.050, 0.049)},
      {record("a", 0.104, 0.091), record("b", 0.060, 0.050, 1e9, 0.3, 0.4)},
      {record("a", 0.102, 0.092), record("c", 1.0, 1.0)},
  };
  const std::vector<std::string> names = {"r1.pb", "r2.pb", "r3.pb"};

  const RunComparison medians = compare_runs(runs, names, CompareStat::kMedian, 0.05);
  REQUIRE(medians.cases.size() == 3);
  CHECK(medians.cases[0].id == "a");
  CHECK(medians.cases[0].spread == Approx(0.004 / 0.104));  // 3.8%: within 5%
  CHECK(medians.cases[0].within);
  CHECK(medians.cases[0].in_every_run);
  CHECK(medians.cases[1].spread == Approx(0.010 / 0.060));  // 16.7%: beyond
  CHECK_FALSE(medians.cases[1].within);
  CHECK_FALSE(medians.cases[1].in_every_run);
  CHECK_FALSE(medians.cases[1].seconds[2].has_value());
  CHECK(medians.cases[1].max_background_load == Approx(0.3));
  CHECK(medians.cases[1].max_drift == Approx(0.4));
  CHECK(medians.cases[0].max_drift == 0);
  CHECK(medians.cases[2].within);  // only in one run: nothing to compare
  CHECK(medians.compared == 2);
  CHECK(medians.beyond == 1);

  const RunComparison fastest = compare_runs(runs, names, CompareStat::kMin, 0.05);
  CHECK(fastest.cases[0].spread == Approx(0.002 / 0.092));
  CHECK(fastest.cases[1].spread == Approx(0.001 / 0.050));  // 2%: the best rate repeats
  CHECK(fastest.beyond == 0);
}

TEST_CASE("runs that cannot be compared are refused, naming the file", "[compare]") {
  const std::vector<std::string> names = {"r1.pb", "r2.pb"};
  // The same id twice in one file: two runs concatenated, not one.
  CHECK_THROWS_AS(compare_runs({{record("a", 1, 1), record("a", 1, 1)}, {record("a", 1, 1)}}, names,
                               CompareStat::kMedian, 0.05),
                  llmsim::InputError);
  // One id, different work: not the same case.
  try {
    compare_runs({{record("a", 1, 1, 1e9)}, {record("a", 1, 1, 2e9)}}, names, CompareStat::kMedian, 0.05);
    FAIL("expected an InputError");
  } catch (const llmsim::InputError& e) {
    CHECK(e.where() == "r2.pb");
  }
}
