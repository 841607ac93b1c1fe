// The Cartesian grid of a sweep: one axis per `--set KEY=V1,V2,...`, expanded like nested
// loops in the order the axes were given (the first axis varies slowest, the last fastest),
// so point i is the same point whatever the parallelism, interruptions or sharding.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace llmsim::sim::sweep {

/// The most points one sweep runs (docs/reliability.md, "Limits").
inline constexpr std::size_t kMaxSweepPoints = 1'000'000;

struct SweepAxis {
  std::string key;                  // a scenario field, dotted for nested ones ("workload.rate")
  std::vector<std::string> values;  // as written on the command line, in order
};

/// One point's overrides: (key, value) per axis, in axis order.
using SweepPoint = std::vector<std::pair<std::string, std::string>>;

class SweepGrid {
 public:
  SweepGrid() = default;
  explicit SweepGrid(std::vector<SweepAxis> axes);

  /// Parses "KEY=V1,V2,..." (InputError naming `--set` when malformed: no '=', an empty key
  /// or value, a key given twice is caught by add_axis).
  static SweepAxis parse_set(const std::string& text);
  /// Appends an axis; InputError when its key is already an axis.
  void add_axis(SweepAxis axis);
  /// Puts an axis in front of the others (the implicit `variant` axis).
  void prepend_axis(SweepAxis axis);

  const std::vector<SweepAxis>& axes() const { return axes_; }
  bool has_axis(const std::string& key) const;
  /// Number of points: the product of the axes' sizes (1 for no axis); InputError past
  /// kMaxSweepPoints.
  std::size_t size() const;
  /// The point with index `index` < size().
  SweepPoint point(std::size_t index) const;
  /// A canonical text of the axes (for the sweep's identity hash).
  std::string canonical() const;

 private:
  std::vector<SweepAxis> axes_;
};

/// `--shard I/N`: this shard runs the points i with i % count == index (0-based index, so
/// Slurm's SLURM_ARRAY_TASK_ID of `--array=0-(N-1)` can be passed as is).
struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;

  /// Parses "I/N" with 0 <= I < N; InputError naming `--shard` otherwise.
  static Shard parse(const std::string& text);
  bool contains(std::size_t point) const { return point % count == index; }
  /// The points of a grid of `total` points that belong to this shard, ascending.
  std::vector<std::size_t> points(std::size_t total) const;
};

}  // namespace llmsim::sim::sweep
