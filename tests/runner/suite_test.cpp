// Suites are data: the shipped ones load and expand, and malformed ones are refused with
// the file, line and field named.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/input_error.hpp"
#include "validate/runner/core/bench_runner.hpp"
#include "validate/runner/core/size_text.hpp"
#include "validate/runner/core/suite.hpp"

using namespace llmsim::bench;

namespace {
const std::string kSuites = std::string(LLMSIM_SOURCE_DIR) + "/validate/runner/suites/";
const std::string kFixtures = LLMSIM_RUNNER_FIXTURES;
}  // namespace

TEST_CASE("sizes read as people write them", "[suite]") {
  CHECK(parse_size("4KiB") == 4096);
  CHECK(parse_size("1 GiB") == 1073741824);
  CHECK(parse_size("64MB") == 64000000);
  CHECK(parse_size("4096") == 4096);
  CHECK_FALSE(parse_size("lots").has_value());
  CHECK_FALSE(parse_size("4 KiBs").has_value());
  CHECK(format_size(4096) == "4KiB");
  CHECK(format_size(1073741824) == "1GiB");
  CHECK(format_size(1000) == "1000B");
}

TEST_CASE("the shipped suites load, expand and cover every backend", "[suite]") {
  for (const char* name : {"quick", "full"}) {
    INFO(name);
    const Suite suite = load_suite(kSuites + name + ".yaml");
    CHECK(suite.name == name);
    for (const char* backend : {"cpu", "vulkan", "cuda"}) {
      INFO(backend);
      CHECK(BenchRunner::cases_for(suite, backend).size() >= 5);
    }
  }
  // quick: bandwidth reaches beyond any last-level cache, GEMM spans decode to prefill.
  const Suite quick = load_suite(kSuites + "quick.yaml");
  std::int64_t max_bytes = 0, max_m = 0;
  bool has_step = false;
  for (const auto& c : BenchRunner::cases_for(quick, "cpu")) {
    if (c.spec.kernel == llmsim::measurements::KERNEL_CLASS_TRIAD) max_bytes = std::max(max_bytes, c.spec.bytes);
    if (c.spec.kernel == llmsim::measurements::KERNEL_CLASS_GEMM) max_m = std::max(max_m, c.spec.m);
    has_step = has_step || c.spec.kernel == llmsim::measurements::KERNEL_CLASS_DECODE_STEP;
  }
  CHECK(max_bytes >= (std::int64_t{1} << 30));
  CHECK(max_m >= 256);
  CHECK(has_step);
}

TEST_CASE("list-valued fields expand into every combination", "[suite]") {
  const Suite suite = load_suite(kFixtures + "/tiny_suite.yaml");
  int gemv = 0, gemm = 0;
  for (const auto& c : suite.cases) {
    if (c.spec.kernel == llmsim::measurements::KERNEL_CLASS_GEMV) ++gemv;
    if (c.spec.kernel == llmsim::measurements::KERNEL_CLASS_GEMM) ++gemm;
  }
  CHECK(gemv == 4);  // four dtypes
  CHECK(gemm == 2);  // two m values
  CHECK(suite.cases[0].timing.max_time_s == 0.1);
  CHECK_FALSE(suite.cases.back().runs_on("vulkan"));
}

TEST_CASE("malformed suites are refused with file, line and field", "[suite]") {
  CHECK_THROWS_WITH(load_suite(kFixtures + "/bad_unknown_key.yaml"),
                    Catch::Contains("bad_unknown_key.yaml:7") && Catch::Contains("tile"));
  CHECK_THROWS_WITH(load_suite(kFixtures + "/bad_size.yaml"),
                    Catch::Contains("bad_size.yaml:4") && Catch::Contains("must be a size like"));
  CHECK_THROWS_AS(load_suite(kFixtures + "/not_yaml.yaml"), llmsim::InputError);
  CHECK_THROWS_AS(load_suite(kFixtures + "/does_not_exist.yaml"), llmsim::InputError);
}

namespace {
std::string write_suite(const std::string& name, const std::string& text) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("llmsim-suite-" + std::to_string(::getpid()) + "-" + name)).string();
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST_CASE("impl picks the f32 gemv kernel, and only that", "[suite]") {
  const Suite suite = load_suite(write_suite("impl_ok.yaml", R"(name: impl
cases:
  - {kernel: gemv, dtype: f32, impl: rows, n: 64, k: 1024, threads: 1}
  - {kernel: gemv, dtype: f32, impl: blas, n: 64, k: 1024, threads: 1}
)"));
  REQUIRE(suite.cases.size() == 2);
  CHECK(suite.cases[0].spec.id("cpu") == "cpu/gemv/f32/n=64,k=1024,impl=rows/t=1");
  CHECK(suite.cases[1].spec.id("cpu") == "cpu/gemv/f32/n=64,k=1024/t=1");  // blas is the default: ids unchanged
  CHECK_THROWS_WITH(load_suite(write_suite("impl_gemm.yaml", "name: x\ncases:\n  - {kernel: gemm, impl: rows, m: 1, n: 8, k: 8}\n")),
                    Catch::Contains("impl") && Catch::Contains("f32 gemv kernel only"));
  CHECK_THROWS_WITH(load_suite(write_suite("impl_q8.yaml", "name: x\ncases:\n  - {kernel: gemv, dtype: q8_0, impl: rows, n: 8, k: 32}\n")),
                    Catch::Contains("f32 gemv kernel only"));
  CHECK_THROWS_WITH(load_suite(write_suite("impl_bad.yaml", "name: x\ncases:\n  - {kernel: gemv, impl: mkl, n: 8, k: 32}\n")),
                    Catch::Contains("must be blas") && Catch::Contains("'mkl'"));
}

TEST_CASE("gelu cases read like silu ones", "[suite]") {
  const Suite suite = load_suite(
      write_suite("gelu_ok.yaml", "name: g\ncases:\n  - {kernel: gelu, elements: [999, 4096], threads: 2}\n"));
  REQUIRE(suite.cases.size() == 2);
  CHECK(suite.cases[0].spec.kernel == llmsim::measurements::KERNEL_CLASS_GELU);
  CHECK(suite.cases[1].spec.id("cpu") == "cpu/gelu/f32/elements=4096/t=2");
  CHECK_THROWS_WITH(load_suite(write_suite("gelu_empty.yaml", "name: g\ncases:\n  - {kernel: gelu, elements: 0}\n")),
                    Catch::Contains("empty shape"));
  CHECK_THROWS_WITH(load_suite(write_suite("gelu_no_elements.yaml", "name: g\ncases:\n  - {kernel: gelu}\n")),
                    Catch::Contains("elements") && Catch::Contains("required"));
  CHECK_THROWS_WITH(load_suite(write_suite("kernel_typo.yaml", "name: g\ncases:\n  - {kernel: gleu, elements: 8}\n")),
                    Catch::Contains("unknown kernel 'gleu'") && Catch::Contains("silu, gelu"));
}
