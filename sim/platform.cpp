#include "sim/platform.hpp"

#include <xbt/log.h>

#include <deque>
#include <memory>
#include <stdexcept>

namespace llmsim::sim {

namespace sg4 = simgrid::s4u;

namespace {

sg4::Engine* create_engine() {
  static std::unique_ptr<sg4::Engine> engine;
  if (engine) throw std::logic_error("one SimGrid platform per process: run another simulation in a new process");
  static int argc = 1;
  static char name[] = "llmsim";
  static char* argv[] = {name, nullptr};
  xbt_log_control_set("root.thresh:warning");
  engine = std::make_unique<sg4::Engine>(&argc, argv);
  sg4::Engine::set_config("host/model:ptask_L07");
  return engine.get();
}

// Memory ids reachable from `from` over system links, with the link ids on the way (BFS).
std::map<std::string, std::vector<std::string>> memory_paths(const hwmodels::System& system, const std::string& from) {
  std::map<std::string, std::vector<std::string>> paths{{from, {}}};
  std::deque<std::string> queue{from};
  while (!queue.empty()) {
    const std::string at = queue.front();
    queue.pop_front();
    for (const auto& link : system.links) {
      const std::string* next = link.from == at ? &link.to : (link.to == at ? &link.from : nullptr);
      if (!next || paths.count(*next)) continue;
      auto path = paths[at];
      path.push_back(link.id);
      paths[*next] = path;
      queue.push_back(*next);
    }
  }
  return paths;
}

}  // namespace

Platform::Platform(const hwmodels::System& system, const std::vector<DeviceModel>& devices) {
  engine_ = create_engine();
  auto* zone = sg4::create_full_zone(system.id);
  std::map<std::string, sg4::Link*> links;
  for (const auto& memory : system.memories) {
    memory_names_.push_back(memory.id);
    memory_hosts_.push_back(zone->create_host("mem:" + memory.id, kWorkPerSecond));
    // Every device reading this memory shares this one link: that is where contention happens.
    double bandwidth = memory.bandwidth_bytes_per_s();
    for (const auto& d : devices)
      if (d.memory->id == memory.id) bandwidth = d.achievable_bytes_per_s;
    links["mem:" + memory.id] = zone->create_link("mem:" + memory.id, bandwidth)->set_latency(0)->seal();
  }
  for (const auto& link : system.links) {
    links["link:" + link.id] = zone->create_link("link:" + link.id, link.bandwidth_gbs.value * 1e9)
                                   ->set_latency(link.latency_us.value * 1e-6)
                                   ->seal();
  }
  for (const auto& d : devices) {
    device_names_.push_back(d.device->id);
    device_hosts_.push_back(zone->create_host("dev:" + d.device->id, kWorkPerSecond));
  }
  for (std::size_t di = 0; di < devices.size(); ++di) {
    for (const auto& [memory_id, path] : memory_paths(system, devices[di].memory->id)) {
      std::vector<sg4::LinkInRoute> route;
      std::vector<std::string> names;
      for (const auto& link_id : path) {
        route.emplace_back(links.at("link:" + link_id));
        names.push_back("link:" + link_id);
      }
      route.emplace_back(links.at("mem:" + memory_id));
      names.push_back("mem:" + memory_id);
      const std::size_t mi = memory_index(memory_id);
      zone->add_route(memory_hosts_[mi]->get_netpoint(), device_hosts_[di]->get_netpoint(), nullptr, nullptr, route,
                      true);
      routes_[{di, mi}] = names;
    }
  }
  zone->seal();
}

std::size_t Platform::device_index(const std::string& id) const {
  for (std::size_t i = 0; i < device_names_.size(); ++i)
    if (device_names_[i] == id) return i;
  throw std::out_of_range("no device " + id + " in the platform");
}

std::size_t Platform::memory_index(const std::string& id) const {
  for (std::size_t i = 0; i < memory_names_.size(); ++i)
    if (memory_names_[i] == id) return i;
  throw std::out_of_range("no memory " + id + " in the platform");
}

const std::vector<std::string>& Platform::route_links(std::size_t d, std::size_t m) const {
  auto it = routes_.find({d, m});
  if (it == routes_.end()) throw std::out_of_range("no route from a device to that memory");
  return it->second;
}

}  // namespace llmsim::sim
