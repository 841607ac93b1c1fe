// Profiles of engines built on another (`based_on:`): the base's file with the derived file's
// keys merged over it, maps key by key. llamafile is llama.cpp with its own CPU prompt
// kernels; its file states only its id, description and builds.
#include <catch2/catch.hpp>

#include "common/input_error.hpp"
#include "hwmodels/catalog.hpp"
#include "hwmodels/software_profile.hpp"
#include "test_paths.hpp"

using namespace llmsim;

namespace {

const char* kBase = R"(id: base-engine
description: "a base engine"
prefill_chunk_tokens: 512
kernels_per_op: {norm: 2, attention: 4}
devices:
  all:
    basis: "test"
    launch_overhead_us: 5
  cpu:
    basis: "test cpu"
    launch_overhead_us: 3
    vector_fraction: 0.5
    matmul: {max_fraction: 0.5, vector_fraction: 0.4}
)";

}  // namespace

TEST_CASE("a based_on profile takes the base's keys and replaces only what it states", "[profile]") {
  test::write_temp("base-engine.yaml", kBase);
  const auto derived = test::write_temp("derived-engine.yaml", R"(based_on: base-engine
id: derived-engine
description: "built on the base"
devices:
  cpu:
    matmul: {max_fraction: 0.8}
)");
  const YAML::Node y = hwmodels::resolved_profile_yaml(derived);
  CHECK_FALSE(y["based_on"]);
  CHECK(y["id"].as<std::string>() == "derived-engine");
  CHECK(y["prefill_chunk_tokens"].as<int>() == 512);                      // from the base
  CHECK(y["kernels_per_op"]["attention"].as<int>() == 4);                 // from the base
  CHECK(y["devices"]["cpu"]["matmul"]["max_fraction"].as<double>() == 0.8);  // replaced
  CHECK(y["devices"]["cpu"]["matmul"]["vector_fraction"].as<double>() == 0.4);  // kept beside it
  CHECK(y["devices"]["cpu"]["launch_overhead_us"].as<double>() == 3);

  const auto p = hwmodels::load_software_profile(derived);
  CHECK(p.id == "derived-engine");
  CHECK(p.prefill_chunk_tokens == 512);
  const auto system = hwmodels::Catalog(test::catalog_dir()).load("ryzen-9-7950x");
  const auto e = p.efficiency_for(system, *system.first_device(hwmodels::DeviceKind::cpu));
  CHECK(e.matmul.max_fraction == 0.8);
  CHECK(e.matmul.vector_fraction == 0.4);
  CHECK(e.launch_overhead_us == 3);
}

TEST_CASE("a based_on that names no profile beside the file, or loops, is refused", "[profile]") {
  const auto missing = test::write_temp("orphan-engine.yaml", "based_on: no-such-engine\nid: orphan\ndescription: x\n");
  CHECK_THROWS_WITH(hwmodels::load_software_profile(missing), Catch::Matchers::Contains("no profile 'no-such-engine'"));
  const auto path_like = test::write_temp("sneaky-engine.yaml", "based_on: ../etc/x\nid: sneaky\ndescription: x\n");
  CHECK_THROWS_WITH(hwmodels::load_software_profile(path_like), Catch::Matchers::Contains("must name a profile id"));
  const auto loop = test::write_temp("loop-engine.yaml", "based_on: loop-engine\nid: loop-engine\ndescription: x\n");
  CHECK_THROWS_WITH(hwmodels::load_software_profile(loop), Catch::Matchers::Contains("more than 4 profiles deep"));
}

TEST_CASE("llamafile is llama.cpp's profile under its own id, without llama.cpp's build list", "[profile]") {
  const hwmodels::ProfileSet set(test::source_dir() + "/hwmodels/profiles");
  const auto llamafile = set.load("llamafile");
  const auto llama = set.load("llama.cpp");
  CHECK(llamafile.id == "llamafile");
  CHECK(llamafile.prefill_chunk_tokens == llama.prefill_chunk_tokens);
  CHECK(llamafile.builds.empty());
  CHECK_FALSE(llama.builds.empty());
  // An Arm CPU takes llama.cpp's fitted cpu-generic-arm section; an AMD CPU llamafile's own
  // cpu-amd values, which replace llama.cpp's key by key.
  const hwmodels::Catalog catalog(test::catalog_dir());
  const auto arm = catalog.load("graviton4");
  const auto& arm_cpu = *arm.first_device(hwmodels::DeviceKind::cpu);
  CHECK(llamafile.efficiency_for(arm, arm_cpu).matmul.max_fraction == llama.efficiency_for(arm, arm_cpu).matmul.max_fraction);
  const auto amd = catalog.load("ryzen-9-5950x");
  const auto& amd_cpu = *amd.first_device(hwmodels::DeviceKind::cpu);
  CHECK(llamafile.efficiency_for(amd, amd_cpu).matmul.max_fraction == 0.469);
  CHECK(llama.efficiency_for(amd, amd_cpu).matmul.max_fraction == 0.2553);
  CHECK(llamafile.efficiency_for(amd, amd_cpu).matmul.vector_fraction == 0.5);
}
