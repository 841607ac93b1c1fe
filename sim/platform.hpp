// The SimGrid side of a System: a host per device (its speed is in "work units" of
// 1 ns, so an op's device amount is its compute time), an endpoint host per memory
// joined to the devices by the memory's link (bandwidth = achievable stream rate,
// latency 0), and a link per system link between memories. Ptasks on ptask_L07 then
// share device time and link bandwidth between concurrent ops.
#pragma once

#include <simgrid/s4u.hpp>

#include <map>
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

  std::size_t device_count() const { return device_hosts_.size(); }
  std::size_t memory_count() const { return memory_hosts_.size(); }
  std::size_t device_index(const std::string& id) const;
  std::size_t memory_index(const std::string& id) const;
  simgrid::s4u::Host* device_host(std::size_t i) const { return device_hosts_.at(i); }
  simgrid::s4u::Host* memory_host(std::size_t i) const { return memory_hosts_.at(i); }
  const std::string& device_name(std::size_t i) const { return device_names_.at(i); }
  const std::string& memory_name(std::size_t i) const { return memory_names_.at(i); }
  /// Names of the links an op of device `d` reading memory `m` crosses, for traces.
  const std::vector<std::string>& route_links(std::size_t d, std::size_t m) const;

  double now() const { return simgrid::s4u::Engine::get_clock(); }
  simgrid::s4u::Engine& engine() { return *engine_; }

 private:
  simgrid::s4u::Engine* engine_ = nullptr;
  std::vector<simgrid::s4u::Host*> device_hosts_;
  std::vector<simgrid::s4u::Host*> memory_hosts_;
  std::vector<std::string> device_names_;
  std::vector<std::string> memory_names_;
  std::map<std::pair<std::size_t, std::size_t>, std::vector<std::string>> routes_;
};

}  // namespace llmsim::sim
