#include "validate/calibration/fit_parameter.hpp"

#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "common/input_error.hpp"
#include "common/name_listing.hpp"

namespace llmsim::validate {

namespace {

constexpr double kMinFraction = 1e-3;

FitParameter fraction(std::string name, std::function<double&(DeviceParameters&)> field) {
  FitParameter p;
  p.name = std::move(name);
  p.lower = kMinFraction;
  p.upper = 1.0;
  p.log_scale = true;
  p.get = [field](const DeviceParameters& d) {
    DeviceParameters copy = d;  // read through the same accessor as set
    return field(copy);
  };
  p.set = [field](DeviceParameters& d, double v) { field(d) = v; };
  return p;
}

FitParameter ranged(std::string name, double lower, double upper, bool log_scale,
                    std::function<double(const DeviceParameters&)> get,
                    std::function<void(DeviceParameters&, double)> set) {
  FitParameter p;
  p.name = std::move(name);
  p.lower = lower;
  p.upper = upper;
  p.log_scale = log_scale;
  p.get = std::move(get);
  p.set = std::move(set);
  return p;
}

// Parameters named with a key: "dequant_ops_per_weight.FORMAT", "transcendental_ops.FUNCTION".
std::optional<FitParameter> keyed_parameter(const std::string& name) {
  const std::string dequant = "dequant_ops_per_weight.", transcendental = "transcendental_ops.";
  if (name.rfind(dequant, 0) == 0) {
    const std::string format = name.substr(dequant.size());
    return ranged(
        name, 0, 64, false,
        [format](const DeviceParameters& d) {
          auto it = d.efficiency.dequant_ops_per_weight.find(format);
          return it == d.efficiency.dequant_ops_per_weight.end() ? 0.0 : it->second;
        },
        [format](DeviceParameters& d, double v) { d.efficiency.dequant_ops_per_weight[format] = v; });
  }
  if (name.rfind(transcendental, 0) == 0) {
    // In ops of the f32 vector peak: scalar glibc tanhf at ~20 ns is ~2,000 on a 100 GFLOP/s
    // core; 1e5 leaves room for slower code, 0.1 for special-function units.
    const std::string function = name.substr(transcendental.size());
    const double lower = 0.1, upper = 1e5;
    // A device that states no cost starts in the middle of the range (100, on the log scale):
    // the fit's prior pulls towards its start, and a start at the floor would read "free".
    return ranged(
        name, lower, upper, true,
        [function, middle = std::sqrt(lower * upper)](const DeviceParameters& d) {
          auto it = d.efficiency.transcendental_ops.find(function);
          return it == d.efficiency.transcendental_ops.end() ? middle : it->second;
        },
        [function](DeviceParameters& d, double v) { d.efficiency.transcendental_ops[function] = v; });
  }
  return std::nullopt;
}

}  // namespace

std::vector<hwmodels::GemmTile> half_m_tiles(double half_m, int tile_n) {
  constexpr int kTallest = 1024;
  const double top = kTallest / (kTallest + half_m);
  std::vector<hwmodels::GemmTile> tiles;
  for (int m = 1; m <= kTallest; m *= 2) tiles.push_back(hwmodels::GemmTile{m, tile_n, (m / (m + half_m)) / top});
  return tiles;
}

std::vector<std::string> fit_parameter_names() {
  return {"bandwidth_gbs",
          "launch_overhead_us",
          "vector_fraction",
          "matmul.max_fraction",
          "matmul.vector_fraction",
          "matmul.attention_fraction",
          "matmul.half_m",
          "memory.kernel_fraction",
          "memory.half_bytes",
          "memory.row_spill_fraction",
          "dequant_ops_per_weight.FORMAT",
          "transcendental_ops.FUNCTION"};
}

FitParameter make_fit_parameter(const std::string& name, const sim::DeviceModel& device, const std::string& scope) {
  FitParameter p;
  if (name == "bandwidth_gbs") {
    // The datasheet peak is the ceiling; 1% of it the floor.
    const double peak = device.memory->bandwidth_gbs.value;
    p = ranged(
        name, 0.01 * peak, peak, true, [](const DeviceParameters& d) { return d.bandwidth_bytes_per_s / 1e9; },
        [](DeviceParameters& d, double v) { d.bandwidth_bytes_per_s = v * 1e9; });
  } else if (name == "launch_overhead_us") {
    p = ranged(
        name, 0.05, 5000, true, [](const DeviceParameters& d) { return d.efficiency.launch_overhead_us; },
        [](DeviceParameters& d, double v) { d.efficiency.launch_overhead_us = v; });
  } else if (name == "vector_fraction") {
    p = fraction(name, [](DeviceParameters& d) -> double& { return d.efficiency.vector_fraction; });
  } else if (name == "matmul.max_fraction") {
    p = fraction(name, [](DeviceParameters& d) -> double& { return d.efficiency.matmul.max_fraction; });
  } else if (name == "matmul.vector_fraction") {
    p = fraction(name, [](DeviceParameters& d) -> double& { return d.efficiency.matmul.vector_fraction; });
  } else if (name == "memory.kernel_fraction") {
    p = fraction(name, [](DeviceParameters& d) -> double& { return d.efficiency.memory.kernel_fraction; });
  } else if (name == "memory.row_spill_fraction") {
    p = fraction(name, [](DeviceParameters& d) -> double& { return d.efficiency.memory.row_spill_fraction; });
  } else if (name == "matmul.attention_fraction") {
    p = fraction(name, [](DeviceParameters& d) -> double& {
      // Unset (0) means "as the GEMV kernels": start from that value.
      auto& m = d.efficiency.matmul;
      if (m.attention_fraction <= 0) m.attention_fraction = m.vector_fraction;
      return m.attention_fraction;
    });
  } else if (name == "matmul.half_m") {
    // GEMM efficiency against M as m / (m + half_m) (packing and edge costs amortised over the
    // rows), written as data: a ladder of output tiles 1, 2, 4 ... 1024 rows tall whose
    // fractions follow that curve; gemm_efficiency takes the best tile for each shape.
    p = ranged(
        name, 0.01, 4096, true,
        [](const DeviceParameters& d) { return static_cast<double>(d.efficiency.matmul.tiles.front().m); },
        [](DeviceParameters& d, double v) {
          d.efficiency.matmul.tiles = half_m_tiles(v, d.efficiency.matmul.tiles.front().n);
        });
  } else if (name == "memory.half_bytes") {
    p = ranged(
        name, 1, 1e10, true, [](const DeviceParameters& d) { return d.efficiency.memory.half_bytes; },
        [](DeviceParameters& d, double v) { d.efficiency.memory.half_bytes = v; });
  } else if (auto keyed = keyed_parameter(name)) {
    p = *keyed;
  } else {
    throw InputError("--fit",
                     fmt::format("unknown parameter '{}'; known: {}", name, join_names(fit_parameter_names())));
  }
  p.scope = scope;
  return p;
}

}  // namespace llmsim::validate
