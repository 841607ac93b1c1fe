#include "sim/platform.hpp"

#include <xbt/log.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>

namespace llmsim::sim {

namespace {

// What a memory delivers: the highest achievable bandwidth of the devices that read it (they
// differ only where a calibration or a thread count says so), else its datasheet peak.
double memory_bandwidth_of(const hwmodels::System& system, const std::vector<DeviceModel>& devices,
                           const std::string& memory) {
  double best = 0;
  for (const auto& d : devices)
    if (d.memory->id == memory) best = std::max(best, d.achievable_bytes_per_s);
  if (best > 0) return best;
  for (const auto& m : system.memories)
    if (m.id == memory) return m.bandwidth_bytes_per_s();
  return 0;
}

}  // namespace

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

struct Hop {
  const hwmodels::Link* link;
  bool forward;  // traversed from link.from to link.to
};

// The quickest path for large transfers from memory/switch `from` to every reachable node:
// the least sum of 1/bandwidth over system links (so 2 NVLink hops beat 2 PCIe hops), ties
// broken by file order so the choice is deterministic.
std::map<std::string, std::vector<Hop>> paths_from(const hwmodels::System& system, const std::string& from) {
  std::map<std::string, std::vector<Hop>> paths{{from, {}}};
  std::map<std::string, double> cost{{from, 0.0}};
  std::set<std::string> done;
  while (true) {
    std::string at;
    double best = std::numeric_limits<double>::infinity();
    for (const auto& [node, c] : cost) {
      if (!done.count(node) && c < best) at = node, best = c;
    }
    if (at.empty()) break;
    done.insert(at);
    for (const auto& link : system.links) {
      const bool forward = link.from == at;
      if (!forward && link.to != at) continue;
      const std::string& next = forward ? link.to : link.from;
      const double c = best + 1.0 / (link.bandwidth_gbs.value * 1e9);
      if (done.count(next) || (cost.count(next) && cost[next] <= c)) continue;
      cost[next] = c;
      auto path = paths[at];
      path.push_back({&link, forward});
      paths[next] = path;
    }
  }
  return paths;
}

}  // namespace

Platform::Platform(const hwmodels::System& system, const std::vector<DeviceModel>& devices) {
  engine_ = create_engine();
  zone_ = sg4::create_full_zone(system.id);
  for (const auto& d : devices) {
    device_names_.push_back(d.device->id);
    host_names_.push_back("dev:" + d.device->id);
    hosts_.push_back(zone_->create_host(host_names_.back(), kWorkPerSecond));
  }
  std::map<std::string, sg4::Link*> memory_links;
  for (const auto& memory : system.memories) {
    memory_names_.push_back(memory.id);
    host_names_.push_back("mem:" + memory.id);
    hosts_.push_back(zone_->create_host(host_names_.back(), kWorkPerSecond));
    // Every device and transfer touching this memory shares this one link: that is where
    // contention between an NPU and an iGPU on one DDR5 bus happens.
    memory_links[memory.id] =
        zone_->create_link("mem:" + memory.id, memory_bandwidth_of(system, devices, memory.id))->set_latency(0)->seal();
  }
  for (const auto& d : devices) device_memory_.push_back(memory_index(d.memory->id));
  // A device that can draw less than its memory delivers (a CPU on a few threads) reads
  // through its own access link first, so it is capped without capping the others.
  std::vector<sg4::Link*> access(devices.size(), nullptr);
  for (std::size_t d = 0; d < devices.size(); ++d) {
    const double own = devices[d].achievable_bytes_per_s;
    if (own < memory_bandwidth_of(system, devices, devices[d].memory->id) * (1 - 1e-9)) {
      access[d] = zone_->create_link("access:" + device_names_[d], own)->set_latency(0)->seal();
    }
  }

  std::map<std::string, sg4::Link*> system_links;
  for (const auto& link : system.links) {
    const double bandwidth = link.bandwidth_gbs.value * 1e9;
    sg4::Link* created = link.full_duplex ? zone_->create_split_duplex_link("link:" + link.id, bandwidth)
                                          : zone_->create_link("link:" + link.id, bandwidth);
    created->set_latency(link.latency_us.value * 1e-6)->seal();
    system_links[link.id] = created;
  }
  add_routes(system, devices, memory_links, access, system_links);
  zone_->seal();
}

// Routes from every memory to the devices that read it (through the device's access link,
// the system links on the widest path, and the memory's own link) and between memories.
void Platform::add_routes(const hwmodels::System& system, const std::vector<DeviceModel>& devices,
                          const std::map<std::string, sg4::Link*>& memory_links, const std::vector<sg4::Link*>& access,
                          const std::map<std::string, sg4::Link*>& system_links) {
  auto hop_links = [&](const std::vector<Hop>& hops, bool reversed, std::vector<sg4::LinkInRoute>& out, Route& route) {
    for (std::size_t i = 0; i < hops.size(); ++i) {
      const Hop& hop = hops[reversed ? hops.size() - 1 - i : i];
      const bool up = hop.forward != reversed;
      using Direction = sg4::LinkInRoute::Direction;
      out.emplace_back(system_links.at(hop.link->id),
                       hop.link->full_duplex ? (up ? Direction::UP : Direction::DOWN) : Direction::NONE);
      route.names.push_back("link:" + hop.link->id + (hop.link->full_duplex ? (up ? ":up" : ":down") : ""));
      route.latency += hop.link->latency_us.value * 1e-6;
      if (hop.link->bandwidth_gbs.value * 1e9 < route.bandwidth) {
        route.bandwidth = hop.link->bandwidth_gbs.value * 1e9;
        route.bottleneck = hop.link->kind;
      }
    }
  };
  auto memory_bandwidth = [&](std::size_t m) { return memory_bandwidth_of(system, devices, memory_names_[m]); };

  for (std::size_t a = 0; a < memory_names_.size(); ++a) {
    const auto paths = paths_from(system, memory_names_[a]);
    // Devices reading memory b from their own memory a.
    for (std::size_t d = 0; d < devices.size(); ++d) {
      if (device_memory_[d] != a) continue;
      for (std::size_t b = 0; b < memory_names_.size(); ++b) {
        auto it = paths.find(memory_names_[b]);
        if (it == paths.end()) continue;
        std::vector<sg4::LinkInRoute> links;
        Route route{{}, 0, memory_bandwidth(b), "memory"};
        if (access[d]) {
          links.emplace_back(access[d]);
          route.names.push_back("access:" + device_names_[d]);
          route.bandwidth = std::min(route.bandwidth, devices[d].achievable_bytes_per_s);
        }
        hop_links(it->second, false, links, route);
        links.emplace_back(memory_links.at(memory_names_[b]));
        route.names.push_back("mem:" + memory_names_[b]);
        add_route(memory_host(b), device_host(d), links, route);
      }
    }
    // Memory-to-memory copies, one direction at a time (split-duplex links carry each
    // direction on its own half).
    for (std::size_t b = 0; b < memory_names_.size(); ++b) {
      auto it = paths.find(memory_names_[b]);
      if (b == a || it == paths.end()) continue;
      std::vector<sg4::LinkInRoute> links{sg4::LinkInRoute(memory_links.at(memory_names_[a]))};
      Route route{{"mem:" + memory_names_[a]}, 0, std::min(memory_bandwidth(a), memory_bandwidth(b)), "memory"};
      hop_links(it->second, false, links, route);
      links.emplace_back(memory_links.at(memory_names_[b]));
      route.names.push_back("mem:" + memory_names_[b]);
      add_route(memory_host(a), memory_host(b), links, route);
    }
  }
}

void Platform::add_route(std::size_t from_host, std::size_t to_host, const std::vector<sg4::LinkInRoute>& links,
                         Route route) {
  zone_->add_route(hosts_[from_host]->get_netpoint(), hosts_[to_host]->get_netpoint(), nullptr, nullptr, links, false);
  // Device reads use the same links back (results written to the memory).
  if (from_host >= device_count() && to_host < device_count()) {
    std::vector<sg4::LinkInRoute> back;
    for (auto it = links.rbegin(); it != links.rend(); ++it) {
      using Direction = sg4::LinkInRoute::Direction;
      const Direction dir = it->get_direction() == Direction::UP     ? Direction::DOWN
                            : it->get_direction() == Direction::DOWN ? Direction::UP
                                                                     : Direction::NONE;
      back.emplace_back(it->get_link(), dir);
    }
    zone_->add_route(hosts_[to_host]->get_netpoint(), hosts_[from_host]->get_netpoint(), nullptr, nullptr, back, false);
    routes_[{to_host, from_host}] = route;
  }
  routes_[{from_host, to_host}] = std::move(route);
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

bool Platform::connected(std::size_t from_host, std::size_t to_host) const {
  return routes_.count({from_host, to_host}) > 0;
}

const std::vector<std::string>& Platform::route_links(std::size_t from_host, std::size_t to_host) const {
  auto it = routes_.find({from_host, to_host});
  if (it == routes_.end())
    throw std::out_of_range("no route between " + host_names_.at(from_host) + " and " + host_names_.at(to_host));
  return it->second.names;
}

double Platform::route_bandwidth(std::size_t from_host, std::size_t to_host) const {
  auto it = routes_.find({from_host, to_host});
  return it == routes_.end() ? 0.0 : it->second.bandwidth;
}

const std::string& Platform::route_bottleneck(std::size_t from_host, std::size_t to_host) const {
  static const std::string none;
  auto it = routes_.find({from_host, to_host});
  return it == routes_.end() ? none : it->second.bottleneck;
}

double Platform::route_latency(std::size_t from_host, std::size_t to_host) const {
  auto it = routes_.find({from_host, to_host});
  return it == routes_.end() ? 0.0 : it->second.latency;
}

}  // namespace llmsim::sim
