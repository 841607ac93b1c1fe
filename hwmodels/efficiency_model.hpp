// The efficiency curves of the timing model (docs/timing-model.md), as pure functions of an op's
// shape and size. Kept free of SimGrid so calibration can evaluate them directly.
#pragma once

#include "hwmodels/efficiency_params.hpp"

namespace llmsim::hwmodels {

/// Fraction of the matrix-path peak reached by `batch` independent GEMMs, each with an
/// M x N output, on a device with `units` SMs/CUs/cores: max_fraction x best over the tiles of
/// (tile fraction x tile quantisation x wave quantisation). Tile quantisation: useful share
/// of the padded tiles; wave quantisation: share of the units busy, averaged over waves.
/// Precondition: m, n >= 1, units >= 1, at least one tile.
double gemm_efficiency(const MatmulEfficiency& params, double m, double n, double batch, int units);

/// Fraction of the memory's achievable (stream) bandwidth that an op moving `bytes`
/// reaches: kernel_fraction x bytes / (bytes + half_bytes).
double memory_kernel_efficiency(const MemoryEfficiency& params, double bytes);

/// True when a GEMV-style kernel's activation row and one weight row (`row_bytes` together)
/// do not fit in an L1 data cache of `l1d_bytes` (0 = unknown: never). At exactly the L1
/// size they do not: the weight stream's prefetched lines and the stack need room too.
bool gemv_row_spills_l1(double row_bytes, double l1d_bytes);

}  // namespace llmsim::hwmodels
