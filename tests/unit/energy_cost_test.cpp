// Energy and cost per request (sim/energy_cost.hpp) against numbers worked by hand.
#include "sim/energy_cost.hpp"

#include <catch2/catch.hpp>

using namespace llmsim;

namespace {

hwmodels::Device device(const std::string& id, const std::string& memory, double tdp, double idle) {
  hwmodels::Device d;
  d.id = id;
  d.memory = memory;
  if (tdp > 0) d.tdp_w = hwmodels::Quantity{tdp, "ds", ""};
  if (idle > 0) d.idle_w = hwmodels::Quantity{idle, "assumed", ""};
  return d;
}

}  // namespace

TEST_CASE("energy is idle power all along plus the rest up to TDP while active", "[sim][energy]") {
  hwmodels::System s;
  s.id = "one-gpu";
  s.devices = {device("gpu", "vram", 700, 75)};
  sim::EnergyCostInput in;
  in.seconds = 2.0;
  in.active_s = {{"gpu", 1.5}};
  in.items = 4;
  in.item_name = "image";
  in.output_tokens = 1000;
  in.usd_per_hour = 3.6;
  in.usd_per_hour_source = "hand-worked";
  const auto e = sim::estimate_energy_cost(s, in);
  REQUIRE(e.has_energy);
  CHECK(e.energy_j == Approx(75 * 2.0 + (700 - 75) * 1.5));  // 1087.5 J
  CHECK(e.energy_at_tdp_j == Approx(1400));
  CHECK(e.average_power_w == Approx(1087.5 / 2));
  CHECK(e.joules_per_item() == Approx(1087.5 / 4));
  CHECK(e.joules_per_output_token() == Approx(1.0875));
  REQUIRE(e.has_cost);
  CHECK(e.usd == Approx(3.6 / 3600 * 2.0));  // $0.002
  CHECK(e.usd_per_item() == Approx(0.0005));
  CHECK(e.usd_per_million_output_tokens() == Approx(2.0));
  CHECK(e.usd_per_hour_basis == "usd_per_hour: hand-worked");
}

TEST_CASE("devices sharing one package limit are one power budget", "[sim][energy]") {
  // An APU: cpu, gpu and npu read one DRAM and state one 30 W package limit, no idle figure.
  hwmodels::System s;
  s.id = "apu";
  s.devices = {device("cpu", "dram", 30, 0), device("gpu", "dram", 30, 0), device("npu", "dram", 30, 0)};
  sim::EnergyCostInput in;
  in.seconds = 1.0;
  in.active_s = {{"gpu", 0.4}, {"npu", 0.7}};
  const auto e = sim::estimate_energy_cost(s, in);
  REQUIRE(e.budgets.size() == 1);
  CHECK(e.budgets[0].devices == "gpu+npu");
  // No idle figure: 7.7% of the 30 W limit (2.31 W) all along, the rest while any member runs:
  // 0.4 + 0.7 s of turns, capped at the 1 s request.
  CHECK(e.energy_j == Approx(2.31 * 1.0 + (30 - 2.31) * 1.0));
  CHECK(e.energy_at_tdp_j == Approx(30));
  CHECK_FALSE(e.has_cost);
  bool says_idle = false;
  for (const auto& a : e.assumptions) says_idle = says_idle || a.find("idle at 7.7% of tdp_w") != std::string::npos;
  CHECK(says_idle);
}

TEST_CASE("an NPU with no tdp_w draws from its package: moving work to it cannot go below the idle floor",
          "[sim][energy]") {
  // Phoenix-like: cpu and gpu state the package's 30 W (idle 3 W), the npu states nothing.
  hwmodels::System s;
  s.id = "apu";
  s.devices = {device("cpu", "dram", 30, 3), device("gpu", "dram", 30, 3), device("npu", "dram", 0, 0)};
  sim::EnergyCostInput on_gpu, on_npu;
  on_gpu.seconds = on_npu.seconds = 2.0;
  on_gpu.active_s = {{"gpu", 1.2}};
  on_npu.active_s = {{"npu", 1.2}};
  const auto g = sim::estimate_energy_cost(s, on_gpu);
  const auto n = sim::estimate_energy_cost(s, on_npu);
  CHECK(g.energy_j == Approx(3 * 2.0 + (30 - 3) * 1.2));  // 38.4 J
  CHECK(n.energy_j == Approx(g.energy_j));                // the same package, busy as long
  CHECK(n.energy_j >= 3 * 2.0);                           // never below the idle floor
  // Splitting the same work between gpu and npu (taking turns) costs what one device doing it does.
  sim::EnergyCostInput split = on_gpu;
  split.active_s = {{"gpu", 0.8}, {"npu", 0.4}};
  CHECK(sim::estimate_energy_cost(s, split).energy_j == Approx(g.energy_j));
  bool named = false;
  for (const auto& a : n.assumptions) named = named || a.find("npu (in cpu's package)") != std::string::npos;
  CHECK(named);
}

TEST_CASE("a device without tdp_w is named, not counted; the system's price is the fallback", "[sim][energy]") {
  hwmodels::System s;
  s.id = "cpu-box";
  s.devices = {device("cpu", "dram", 0, 0)};
  s.cloud_usd_per_hour = hwmodels::Quantity{1.8, "cloud", ""};
  s.sources["cloud"] = "some price list";
  sim::EnergyCostInput in;
  in.seconds = 10;
  in.active_s = {{"cpu", 10}};
  in.items = 2;
  const auto e = sim::estimate_energy_cost(s, in);
  CHECK_FALSE(e.has_energy);
  CHECK(e.energy_j == 0);
  REQUIRE(e.has_cost);
  CHECK(e.usd == Approx(0.005));  // 1.8 $/h x 10 s
  CHECK(e.usd_per_item() == Approx(0.0025));
  CHECK(e.usd_per_hour_basis.find("some price list") != std::string::npos);
  REQUIRE_FALSE(e.assumptions.empty());
  CHECK(e.assumptions.front().find("no tdp_w") != std::string::npos);
}
