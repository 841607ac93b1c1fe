#include <catch2/catch.hpp>

#include "hwmodels/efficiency_model.hpp"

using namespace llmsim::hwmodels;

TEST_CASE("GEMM efficiency follows tile and wave quantisation", "[hwmodels][efficiency]") {
  MatmulEfficiency p;
  p.max_fraction = 0.8;
  p.tiles = {{128, 128, 1.0}};
  // 256x256 output = 4 tiles; on 4 units one full wave.
  CHECK(gemm_efficiency(p, 256, 256, 1, 4) == Approx(0.8));
  // On 3 units: 2 waves for 4 tiles, 4 of 6 unit-slots busy.
  CHECK(gemm_efficiency(p, 256, 256, 1, 3) == Approx(0.8 * 4.0 / 6.0));
  // 64x128 output fills half of its one padded tile.
  CHECK(gemm_efficiency(p, 64, 128, 1, 1) == Approx(0.4));
  // Batched: 3 heads of one tile each on 4 units: 3 of 4 busy.
  CHECK(gemm_efficiency(p, 128, 128, 3, 4) == Approx(0.8 * 0.75));
  // The library picks the better tile: a 64x64 tile at half the speed beats a quarter-filled 128x128 tile.
  p.tiles = {{128, 128, 1.0}, {64, 64, 0.5}};
  CHECK(gemm_efficiency(p, 64, 64, 1, 1) == Approx(0.8 * 0.5));
}

TEST_CASE("memory efficiency ramps with transfer size", "[hwmodels][efficiency]") {
  MemoryEfficiency p;
  p.kernel_fraction = 0.9;
  p.half_bytes = 1e6;
  CHECK(memory_kernel_efficiency(p, 1e6) == Approx(0.45));
  CHECK(memory_kernel_efficiency(p, 1e12) == Approx(0.9).epsilon(1e-5));
  p.half_bytes = 0;
  CHECK(memory_kernel_efficiency(p, 10) == Approx(0.9));
}
