// The SimGrid side of a System. Hosts: one per device (speed in "work units" of 1 ns, so
// an op's device amount is its compute time) and one endpoint per memory. Links: one per
// memory (bandwidth = achievable stream rate, latency 0, shared by everything that reads or
// writes it) and one per system link (PCIe, NVLink ports; split-duplex unless the file says
// half), with switches as routing points. Routes follow the fewest system links:
//   device -> its memory:        [memory link]
//   device -> other memory:      [system links on the way..., memory link]
//   memory a -> memory b:        [memory a, system links..., memory b]
// Ptasks on ptask_L07 then share device time and link bandwidth between concurrent ops.
#pragma once

#include <map>
#include <simgrid/s4u.hpp>
#include <string>
#include <vector>

#include "sim/device_model.hpp"

namespace llmsim::sim {

class Platform {
 public:
  /// Device work is expressed as seconds x kWorkPerSecond.
  static constexpr double kWorkPerSecond = 1e9;

  /// Creates the process's SimGrid engine and the platform. SimGrid allows one engine per
  /// process, so a second Platform in the same process throws std::logic_error.
  Platform(const hwmodels::System& system, const std::vector<DeviceModel>& devices);

  std::size_t device_count() const { return device_names_.size(); }
  std::size_t memory_count() const { return memory_names_.size(); }
  std::size_t device_index(const std::string& id) const;
  std::size_t memory_index(const std::string& id) const;
  const std::string& device_name(std::size_t i) const { return device_names_.at(i); }
  const std::string& memory_name(std::size_t i) const { return memory_names_.at(i); }
  /// Memory a device reads by default.
  std::size_t memory_of_device(std::size_t device) const { return device_memory_.at(device); }

  /// Hosts are numbered devices first, then memory endpoints.
  std::size_t device_host(std::size_t device) const { return device; }
  std::size_t memory_host(std::size_t memory) const { return device_count() + memory; }
  simgrid::s4u::Host* host(std::size_t i) const { return hosts_.at(i); }
  const std::string& host_name(std::size_t i) const { return host_names_.at(i); }

  /// Whether bytes can travel between two hosts, and the links they cross (for traces).
  bool connected(std::size_t from_host, std::size_t to_host) const;
  const std::vector<std::string>& route_links(std::size_t from_host, std::size_t to_host) const;
  /// Sum of link latencies between two hosts (0 when unconnected).
  double route_latency(std::size_t from_host, std::size_t to_host) const;
  /// Smallest bandwidth (bytes/s) along the route, for reporting a copy's time alone.
  double route_bandwidth(std::size_t from_host, std::size_t to_host) const;
  /// Kind of the narrowest link on the route (nvlink4, infiniband-ndr, pcie5-x16, ...;
  /// "memory" when a memory bus is narrower than every link): what bounds a copy alone.
  const std::string& route_bottleneck(std::size_t from_host, std::size_t to_host) const;

  double now() const { return simgrid::s4u::Engine::get_clock(); }
  simgrid::s4u::Engine& engine() { return *engine_; }

 private:
  struct Route {
    std::vector<std::string> names;
    double latency = 0;
    double bandwidth = 0;
    std::string bottleneck = "memory";
  };
  void add_routes(const hwmodels::System& system, const std::vector<DeviceModel>& devices,
                  const std::map<std::string, simgrid::s4u::Link*>& memory_links,
                  const std::vector<simgrid::s4u::Link*>& access,
                  const std::map<std::string, simgrid::s4u::Link*>& system_links);
  void add_route(std::size_t from_host, std::size_t to_host, const std::vector<simgrid::s4u::LinkInRoute>& links,
                 Route route);

  simgrid::s4u::NetZone* zone_ = nullptr;
  simgrid::s4u::Engine* engine_ = nullptr;
  std::vector<simgrid::s4u::Host*> hosts_;
  std::vector<std::string> host_names_;
  std::vector<std::string> device_names_;
  std::vector<std::string> memory_names_;
  std::vector<std::size_t> device_memory_;
  std::map<std::pair<std::size_t, std::size_t>, Route> routes_;
};

}  // namespace llmsim::sim
