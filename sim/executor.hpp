// Runs an OpGraph on the SimGrid platform. Ops become SimGrid ptasks only when all
// their inputs are done (creating activities is O(live activities) in SimGrid 3.32),
// at most `streams` at a time per device, in graph order among the ready ones. Each
// op first holds its stream slot for its launch overhead (a kernel timer), then runs
// as a ptask over {device, memory endpoint}: L07 gives it max(work, bytes/bandwidth)
// alone and shares device and links with whatever runs concurrently.
#pragma once

#include <simgrid/s4u.hpp>

#include <functional>
#include <vector>

#include "sim/platform.hpp"
#include "workloads/op_graph.hpp"

namespace llmsim::sim {

struct PlannedOp {
  std::size_t device = 0;  // platform indices
  std::size_t memory = 0;
  double launch_s = 0;     // stream slot held before the ptask starts
  double work_s = 0;       // device time alone
  double link_bytes = 0;   // bytes over the memory route
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
  /// `streams[d]` is how many ops device d runs at once (>= 1).
  std::vector<OpTiming> run(const workloads::OpGraph& graph, const std::vector<PlannedOp>& plan,
                            const std::vector<int>& streams);

 private:
  void dispatch(std::size_t device);
  void start_ptask(std::size_t op);
  void finished(const simgrid::s4u::Activity& activity);

  Platform& platform_;
  const workloads::OpGraph* graph_ = nullptr;
  const std::vector<PlannedOp>* plan_ = nullptr;
  std::vector<int> streams_;
  std::vector<int> in_flight_;
  std::vector<std::vector<std::size_t>> ready_;  // min-heaps of op indices per device
  std::vector<std::size_t> missing_inputs_;
  std::vector<std::size_t> op_ids_;               // stable storage behind Activity::set_data
  std::vector<simgrid::s4u::ExecPtr> activities_; // held until the run ends
  std::vector<OpTiming> timings_;
  std::size_t done_ = 0;
};

}  // namespace llmsim::sim
