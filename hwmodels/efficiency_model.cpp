#include "hwmodels/efficiency_model.hpp"

#include <algorithm>
#include <cmath>

namespace llmsim::hwmodels {

namespace {

double tile_efficiency(const GemmTile& tile, double m, double n, double batch, int units) {
  const double tiles = std::ceil(m / tile.m) * std::ceil(n / tile.n) * batch;
  const double tile_fill = (m * n * batch) / (tiles * tile.m * tile.n);
  const double waves = std::ceil(tiles / units);
  const double wave_fill = tiles / (waves * units);
  return tile.fraction * tile_fill * wave_fill;
}

}  // namespace

double gemm_efficiency(const MatmulEfficiency& params, double m, double n, double batch, int units) {
  units = std::max(units, 1);
  double best = 0.0;
  for (const auto& tile : params.tiles) best = std::max(best, tile_efficiency(tile, m, n, std::max(batch, 1.0), units));
  return params.max_fraction * best;
}

bool gemv_row_spills_l1(double row_bytes, double l1d_bytes) { return l1d_bytes > 0 && row_bytes >= l1d_bytes; }

double memory_kernel_efficiency(const MemoryEfficiency& params, double bytes) {
  const double ramp = params.half_bytes > 0 ? bytes / (bytes + params.half_bytes) : 1.0;
  return params.kernel_fraction * ramp;
}

}  // namespace llmsim::hwmodels
