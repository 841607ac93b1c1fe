#include "sim/serving/router.hpp"

#include <algorithm>

#include "hwmodels/factory_registry.hpp"

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

const FactoryRegistry<Router>& router_registry() {
  static const FactoryRegistry<Router> routers("router", "router",
                                               {
                                                   {"round-robin", [] { return std::make_unique<RoundRobin>(); }},
                                                   {"least-loaded", [] { return std::make_unique<LeastLoaded>(); }},
                                               });
  return routers;
}

}  // namespace

std::vector<std::string> router_names() { return router_registry().names(); }

std::unique_ptr<Router> make_router(const std::string& name) { return router_registry().make(name); }

}  // namespace llmsim::sim::serving
