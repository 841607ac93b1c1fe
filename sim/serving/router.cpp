#include "sim/serving/router.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "hwmodels/input_error.hpp"
#include "hwmodels/name_listing.hpp"

namespace llmsim::sim::serving {

namespace {

class RoundRobin : public Router {
 public:
  std::size_t pick(const std::vector<std::size_t>& candidates,
                   const std::function<std::size_t(std::size_t)>&) override {
    return candidates[next_++ % candidates.size()];
  }

 private:
  std::size_t next_ = 0;
};

// The replica with the fewest requests; ties go to the lowest index.
class LeastLoaded : public Router {
 public:
  std::size_t pick(const std::vector<std::size_t>& candidates,
                   const std::function<std::size_t(std::size_t)>& load) override {
    return *std::min_element(candidates.begin(), candidates.end(),
                             [&](std::size_t a, std::size_t b) { return load(a) < load(b); });
  }
};

using Factory = std::function<std::unique_ptr<Router>()>;

const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> routers = {
      {"round-robin", [] { return std::make_unique<RoundRobin>(); }},
      {"least-loaded", [] { return std::make_unique<LeastLoaded>(); }},
  };
  return routers;
}

}  // namespace

std::vector<std::string> router_names() {
  std::vector<std::string> out;
  for (const auto& [name, factory] : registry()) out.push_back(name);
  return out;
}

std::unique_ptr<Router> make_router(const std::string& name) {
  auto it = registry().find(name);
  if (it == registry().end()) {
    throw InputError("router", fmt::format("unknown router '{}'; known: {}", name, join_names(router_names())));
  }
  return it->second();
}

}  // namespace llmsim::sim::serving
