// Runs an OpGraph on the SimGrid platform. Ops become SimGrid ptasks only when all
// their inputs are done (creating activities is O(live activities) in SimGrid 3.32),
// at most `limit` at a time per stream group (a device's compute stream, a copy engine,
// a communication stream), in graph order among the ready ones. Each op first holds its
// stream slot for its launch overhead (a kernel timer), then runs as a ptask: work on
// its compute host and bytes from one host to another. L07 gives it max(work, bytes /
// bandwidth) alone and shares hosts and links with whatever runs concurrently.
#pragma once

#include <simgrid/s4u.hpp>

#include <functional>
#include <vector>

#include "sim/platform.hpp"
#include "workloads/op_graph.hpp"

namespace llmsim::sim {

struct PlannedOp {
  std::size_t stream = 0;        // stream group it queues in
  std::size_t compute_host = 0;  // platform host doing the work
  std::size_t data_from = 0;     // platform hosts the bytes travel between
  std::size_t data_to = 0;
  double launch_s = 0;           // stream slot held before the ptask starts
  double work_s = 0;             // compute-host time alone
  double link_bytes = 0;         // bytes over the route data_from -> data_to

  /// An op on a device reading (and writing) its memory.
  static PlannedOp on_device(std::size_t stream, std::size_t device_host, std::size_t memory_host, double launch_s,
                             double work_s, double bytes) {
    return {stream, device_host, memory_host, device_host, launch_s, work_s, bytes};
  }
  /// Bytes copied from one memory to another.
  static PlannedOp copy(std::size_t stream, std::size_t from_memory_host, std::size_t to_memory_host, double launch_s,
                        double bytes) {
    return {stream, from_memory_host, from_memory_host, to_memory_host, launch_s, 0.0, bytes};
  }
};

struct OpTiming {
  double issued = 0;  // took a stream slot (launch overhead starts)
  double start = 0;   // ptask started
  double end = 0;     // ptask finished
};

class Executor {
 public:
  explicit Executor(Platform& platform);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Simulates the graph to completion and returns absolute simulated times per op.
  /// `limits[s]` is how many ops stream group s runs at once (>= 1).
  std::vector<OpTiming> run(const workloads::OpGraph& graph, const std::vector<PlannedOp>& plan,
                            const std::vector<int>& limits);

 private:
  void dispatch(std::size_t stream);
  void start_ptask(std::size_t op);
  void finished(const simgrid::s4u::Activity& activity);

  Platform& platform_;
  const workloads::OpGraph* graph_ = nullptr;
  const std::vector<PlannedOp>* plan_ = nullptr;
  std::vector<int> streams_;
  std::vector<int> in_flight_;
  std::vector<std::vector<std::size_t>> ready_;  // min-heaps of op indices per stream group
  std::vector<std::size_t> missing_inputs_;
  std::vector<std::size_t> op_ids_;               // stable storage behind Activity::set_data
  std::vector<simgrid::s4u::ExecPtr> activities_; // held until the run ends
  std::vector<OpTiming> timings_;
  std::size_t done_ = 0;
};

}  // namespace llmsim::sim
