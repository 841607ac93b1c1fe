#include <catch2/catch.hpp>

#include <algorithm>

#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "hwmodels/memory_kinds.hpp"
#include "hwmodels/software_profile.hpp"
#include "hwmodels/system_loader.hpp"
#include "test_paths.hpp"

using namespace llmsim;
using namespace llmsim::hwmodels;
using Catch::Matchers::Contains;

TEST_CASE("the catalog has every system the foundation issue names, and all load", "[hwmodels]") {
  const Catalog catalog(test::catalog_dir());
  const auto ids = catalog.ids();
  for (const char* id :
       {"v100-pcie-16gb", "v100-sxm2-16gb", "v100-sxm2-32gb", "a100-pcie-40gb", "a100-pcie-80gb", "a100-sxm4-80gb",
        "h100-pcie-80gb", "h100-sxm5-80gb", "h200-sxm-141gb", "rtx-3090", "rtx-4090", "rtx-4070-laptop",
        "rtx-4050-laptop", "apple-m1", "apple-m1-pro", "apple-m1-max", "apple-m2", "apple-m2-max", "apple-m2-ultra",
        "apple-m3-pro", "apple-m3-max", "ryzen-7840u", "ryzen-8840u", "ryzen-ai-max-395", "ryzen-9-7950x",
        "threadripper-3970x", "epyc-9274f", "xeon-e5-2683-v4", "core-i5-9500", "ddr5-desktop-8t"}) {
    INFO(id);
    CHECK(std::find(ids.begin(), ids.end(), id) != ids.end());
  }
  const MemoryKinds kinds = MemoryKinds::load(test::source_dir() + "/hwmodels/defaults/memory-kinds.yaml");
  for (const auto& id : ids) {
    INFO(id);
    const System s = catalog.load(id);
    CHECK(s.id == id);
    CHECK_FALSE(s.devices.empty());
    for (const auto& m : s.memories) CHECK(kinds.achievable_bytes_per_s(m) > 0);  // every memory kind is known
  }
}

TEST_CASE("datasheet numbers are read with their sources", "[hwmodels]") {
  const System s = Catalog(test::catalog_dir()).load("rtx-4090");
  const Device& gpu = *s.first_device(DeviceKind::gpu);
  const Memory& vram = s.memory_of(gpu);
  CHECK(vram.bandwidth_gbs.value == 1008);
  CHECK(s.sources.count(vram.bandwidth_gbs.source) == 1);
  CHECK(gpu.compute_units.value == 128);
  CHECK(gpu.peak_flops("f32").value() == Approx(82.6e12));
  CHECK_FALSE(gpu.peak_flops("f64").has_value());
}

TEST_CASE("a system file loads from a path, NPUs may omit f32 and units", "[hwmodels]") {
  const System s = Catalog(test::catalog_dir()).load(test::fixture("hw/test-box.yaml"));
  CHECK(s.id == "test-box");
  const Device& npu = *s.find_device("npu");
  CHECK(npu.compute_units.value == 1);
  CHECK(npu.peak_flops("int8").value() == Approx(50e12));
  REQUIRE(s.links.size() == 1);
  CHECK(s.links[0].latency_us.value == 2);
}

namespace {
const char* kValid = R"(id: %ID%
name: x
sources: {s: "assumption: test"}
memories:
  - id: m
    kind: ddr5
    capacity_gib: {value: 8, source: s}
    bandwidth_gbs: {value: 50, source: s}
devices:
  - id: c
    kind: cpu
    vendor: generic
    memory: m
    compute_units: {value: 4, source: s}
    peak_tflops: {f32: {value: 1, source: s}}
)";

std::string system_text(const std::string& id, const std::string& from = "", const std::string& to = "") {
  std::string text = kValid;
  text.replace(text.find("%ID%"), 4, id);
  if (!from.empty()) text.replace(text.find(from), from.size(), to);
  return text;
}
}  // namespace

TEST_CASE("bad system files are refused with file, line and what was expected", "[hwmodels][bad-input]") {
  CHECK_NOTHROW(load_system(test::write_temp("good.yaml", system_text("good"))));
  const auto unknown = test::write_temp("unknown.yaml", system_text("unknown", "    kind: cpu\n", "    kind: cpu\n    colour: red\n"));
  CHECK_THROWS_WITH(load_system(unknown), Contains("unknown.yaml:12") && Contains("unknown key(s) colour") &&
                                              Contains("allowed:"));
  const auto no_source = test::write_temp("nosource.yaml", system_text("nosource", "value: 50, source: s", "value: 50, source: t"));
  CHECK_THROWS_WITH(load_system(no_source), Contains("names 't'") && Contains("sources"));
  const auto negative = test::write_temp("negative.yaml", system_text("negative", "value: 50,", "value: -5,"));
  CHECK_THROWS_WITH(load_system(negative), Contains("must be between"));
  const auto wrong_id = test::write_temp("other-name.yaml", system_text("good"));
  CHECK_THROWS_WITH(load_system(wrong_id), Contains("other-name.yaml"));
  const auto bad_memory = test::write_temp("badmem.yaml", system_text("badmem", "    memory: m\n", "    memory: nowhere\n"));
  CHECK_THROWS_WITH(load_system(bad_memory), Contains("'nowhere', which is not among 'memories'"));
  const auto not_yaml = test::write_temp("broken.yaml", "id: [unclosed\n");
  CHECK_THROWS_WITH(load_system(not_yaml), Contains("broken.yaml:") && Contains("malformed YAML"));
  CHECK_THROWS_WITH(Catalog(test::catalog_dir()).load("rtx-9999"),
                    Contains("unknown hardware id 'rtx-9999'") && Contains("rtx-4090"));
}

TEST_CASE("software profiles layer all, kind and vendor sections", "[hwmodels]") {
  const ProfileSet profiles(test::source_dir() + "/hwmodels/profiles");
  const SoftwareProfile llama = profiles.load("llama.cpp");
  CHECK(llama.prefill_chunk_tokens == 512);
  const System s = Catalog(test::catalog_dir()).load("rtx-4090");
  const DeviceEfficiency e = llama.efficiency_for(s, *s.first_device(DeviceKind::gpu));
  CHECK(e.dequant_before_gemm);                 // from gpu-nvidia
  CHECK(e.activation_dtype == "f32");           // from all
  CHECK_THAT(e.basis, Contains("all + gpu-nvidia"));
  CHECK_THROWS_WITH(profiles.load("tensorflow"), Contains("unknown software profile") && Contains("vllm"));
}
