// A fast wrong kernel is not a measurement: the runner checks before it times, and a
// kernel that fails its check leaves no record, only a reported failure.
#include <catch2/catch.hpp>
#include <filesystem>

#include <cstdio>
#include <sstream>

#include "validate/proto/measurement_reader.hpp"
#include "validate/runner/core/bench_runner.hpp"
#include "validate/runner/core/output_checker.hpp"

using namespace llmsim::bench;

namespace {

class FakeKernel : public Kernel {
 public:
  explicit FakeKernel(bool wrong) : wrong_(wrong) {}
  Work work() const override { return Work{2e6, 4e6, 0}; }
  std::string implementation() const override { return "fake"; }
  std::string timer() const override { return "synthetic"; }
  CheckResult check() override {
    OutputChecker checker(1e-6);
    checker.add(0, wrong_ ? 2.0 : 1.0, 1.0, 1.0);
    return checker.result("all 1 outputs");
  }
  double time_calls(std::int64_t calls) override { return 1e-3 * static_cast<double>(calls); }

 private:
  bool wrong_;
};

class FakeBackend : public Backend {
 public:
  explicit FakeBackend(bool wrong) : wrong_(wrong) {}
  std::string name() const override { return "cpu"; }
  llmsim::measurements::Device device() const override {
    llmsim::measurements::Device d;
    d.set_name("fake device");
    return d;
  }
  std::map<std::string, std::string> libraries() const override { return {}; }
  std::string unsupported_reason(const KernelSpec&) const override { return ""; }
  std::unique_ptr<Kernel> make_kernel(const KernelSpec&) override { return std::make_unique<FakeKernel>(wrong_); }

 private:
  bool wrong_;
};

Suite one_case() {
  Suite suite;
  suite.name = "one";
  SuiteCase c;
  c.spec.kernel = llmsim::measurements::KERNEL_CLASS_GEMV;
  c.spec.n = 1000;
  c.spec.k = 1000;
  c.timing.warmup_s = 0;
  c.timing.max_time_s = 0.01;
  suite.cases.push_back(c);
  return suite;
}

RunSummary run_fake(bool wrong, const std::string& path) {
  FakeBackend backend(wrong);
  llmsim::measurements::MeasurementWriter writer(path);
  std::ostringstream log;
  BenchRunner runner(backend, RecordBuilder(RunContext{"cpu", backend.device(), {}}), writer, log, RunOptions{});
  return runner.run(one_case());
}

}  // namespace

TEST_CASE("a kernel that fails its check is reported and not recorded", "[runner]") {
  const std::string path = "runner_wrong_kernel.tmp.pb";
  const RunSummary summary = run_fake(true, path);
  CHECK(summary.recorded == 0);
  REQUIRE(summary.failures.size() == 1);
  CHECK(summary.failures[0].find("wrong results") != std::string::npos);
  // Nothing measured, nothing written: no empty records file is left behind.
  CHECK_FALSE(std::filesystem::exists(path));
  std::remove(path.c_str());
}

TEST_CASE("a kernel that passes is timed and recorded with its check", "[runner]") {
  const std::string path = "runner_right_kernel.tmp.pb";
  const RunSummary summary = run_fake(false, path);
  CHECK(summary.failures.empty());
  REQUIRE(summary.recorded == 1);
  const auto records = llmsim::measurements::read_measurements(path);
  REQUIRE(records.size() == 1);
  const auto& r = records[0];
  CHECK(r.verification().verified());
  CHECK(r.timing().median_s() == Approx(1e-3));
  CHECK(r.rates().gflops_per_s() == Approx(2.0));  // 2e6 flops in 1 ms
  CHECK(r.rates().gbytes_per_s() == Approx(4.0));
  CHECK(r.device().name() == "fake device");
  std::remove(path.c_str());
}
