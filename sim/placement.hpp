// Placement: which device runs each op and which memory holds each tensor, and the
// copies that follow from it. Policies (docs/heterogeneous.md):
//   single       everything on one device
//   by-op-class  op classes (attention, mlp, embedding, lm_head, ...) on chosen devices
//   layer-split  layers below `split_layer` on one device, the rest on another (-ngl)
//   offload      one device computes; weights of layers that do not fit stay in another
//                memory and are copied in before use, optionally prefetched
// Tensor/pipeline parallel ranks (tp x pp) map to one device each.
// Placing a step turns the logical graph into an executable one: activation copies between
// devices with different memories, weight copies for offloaded layers, and collectives
// expanded into link transfers (ring or tree).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/executor.hpp"
#include "sim/op_cost.hpp"
#include "sim/platform.hpp"
#include "workloads/op_graph.hpp"

namespace llmsim::sim {

// How a model's ops are spread over a system's devices (docs/heterogeneous.md).
enum class PlacementPolicy { single, by_op_class, layer_split, offload };

/// The policy named "single", "by-op-class", "layer-split" or "offload"; nullopt otherwise.
std::optional<PlacementPolicy> placement_policy_named(const std::string& name);
/// The name of a policy, as users write it.
std::string to_string(PlacementPolicy policy);
/// "single, by-op-class, layer-split, offload", for error messages.
std::string placement_policy_names();
/// The policy named `name`; InputError at `where` listing the known names otherwise.
PlacementPolicy parse_placement_policy(const std::string& name, const std::string& where);

// How a collective among ranks on different memories is routed: a ring (every rank sends to
// the next), or, for all-reduces, a binary tree (reduce up, broadcast down).
enum class CollectiveAlgorithm { ring, tree };
std::optional<CollectiveAlgorithm> collective_algorithm_named(const std::string& name);
std::string to_string(CollectiveAlgorithm algorithm);
inline constexpr const char* kCollectiveAlgorithmNames = "ring, tree";
/// The algorithm named `name`; InputError at `where` listing the known names otherwise.
CollectiveAlgorithm parse_collective_algorithm(const std::string& name, const std::string& where);

struct PlacementSpec {
  PlacementPolicy policy = PlacementPolicy::single;
  // Device ids or kinds (cpu, gpu, npu). single/offload: the device; layer-split: [first, rest];
  // with tp x pp > 1: one per rank (default: the first tp x pp GPUs).
  std::vector<std::string> devices;
  std::map<std::string, std::string> op_classes;  // by-op-class: group or op kind -> device; "default" too
  int split_layer = 0;                            // layer-split
  std::string offload_memory;        // offload: where offloaded weights stay ("" = a memory linked to the device's)
  double memory_fraction = 1.0;      // offload: share of the device memory the model may use
  bool prefetch = false;             // offload: copy the next layer's weights while this one computes
  CollectiveAlgorithm collectives = CollectiveAlgorithm::ring;
  // Routed experts the lowering keeps in host memory (host_expert ops): "cpu" computes them on
  // the system's first CPU (llama.cpp --n-cpu-moe), "stream" copies their weights to the
  // computing device before each use; "" when there are none.
  std::string host_experts;
};

/// A step ready to execute.
struct PlacedStep {
  workloads::OpGraph graph;  // the logical ops plus copies, collectives expanded
  std::vector<OpCost> costs;
  std::vector<PlannedOp> plan;
  std::vector<std::size_t> device;  // device of each op (the sending or receiving device for copies)
  std::vector<std::size_t> memory;  // memory a compute op reads; destination memory of a copy
};

class Placer {
 public:
  /// Resolves and checks the spec against the system (missing devices, unconnected
  /// memories: InputError). `ranks` = tp x pp. `offloaded_layers[l]` marks layers whose
  /// weights stay in the offload memory.
  Placer(const hwmodels::System& system, const Platform& platform, const std::vector<DeviceModel>& devices,
         PlacementSpec spec, int ranks, std::vector<bool> offloaded_layers);

  /// `symmetric`: the graph has tensor rank 0's ops only (LoweringOptions::symmetric_ranks);
  /// each ring collective then becomes rank 0's one hop, which takes what every hop takes.
  PlacedStep place(const workloads::OpGraph& logical, bool symmetric = false) const;

  const std::vector<std::string>& stream_names() const { return stream_names_; }
  const std::vector<int>& stream_limits() const { return stream_limits_; }
  /// Devices that compute something under this placement.
  std::vector<std::size_t> used_devices() const;
  std::size_t offload_memory() const { return offload_memory_; }
  /// The memory that holds host-resident experts (the host CPU's).
  std::size_t host_memory() const { return host_memory_; }
  bool has_offload() const;
  const PlacementSpec& spec() const { return spec_; }
  /// Device of a logical op under this placement.
  std::size_t device_for(const workloads::Op& op) const;

 private:
  std::size_t resolve(const std::string& ref, const std::string& what) const;

  // Streams are numbered three per device: compute, copy engine, communication.
  const hwmodels::System& system_;
  const Platform& platform_;
  const std::vector<DeviceModel>& devices_;
  PlacementSpec spec_;
  int ranks_ = 1;
  std::vector<bool> offloaded_;
  std::vector<std::size_t> rank_device_;
  std::map<std::string, std::size_t> class_device_;
  std::size_t default_device_ = 0;
  std::size_t second_device_ = 0;
  std::size_t offload_memory_ = 0;
  std::size_t host_device_ = 0;
  std::size_t host_memory_ = 0;
  std::vector<std::string> stream_names_;
  std::vector<int> stream_limits_;
};

}  // namespace llmsim::sim
