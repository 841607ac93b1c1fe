// Which replica of a role takes a request. New routers are a subclass and one line in
// make_router's registry.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace llmsim::sim::serving {

class Router {
 public:
  virtual ~Router() = default;
  /// One of `candidates` (replica indices, never empty); `load(i)` is the number of requests
  /// waiting, running or swapped on replica i.
  virtual std::size_t pick(const std::vector<std::size_t>& candidates,
                           const std::function<std::size_t(std::size_t)>& load) = 0;
};

/// Unknown names are an InputError listing the known ones.
std::unique_ptr<Router> make_router(const std::string& name);
std::vector<std::string> router_names();

}  // namespace llmsim::sim::serving
