// A registry of named variants (schedulers, routers, admission policies, ...): one factory
// per name. Adding a variant is one entry where the registry is built; an unknown name is an
// InputError that names the field and lists the known names.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/input_error.hpp"
#include "common/name_listing.hpp"

namespace llmsim {

template <class Base, class... Args>
class FactoryRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Base>(Args...)>;

  /// `what` names a variant in messages ("scheduler"); `field` is where the name was given.
  FactoryRegistry(std::string what, std::string field, std::map<std::string, Factory> factories)
      : what_(std::move(what)), field_(std::move(field)), factories_(std::move(factories)) {}

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, factory] : factories_) out.push_back(name);
    return out;
  }

  std::unique_ptr<Base> make(const std::string& name, Args... args) const {
    auto it = factories_.find(name);
    if (it == factories_.end()) {
      throw InputError(field_, fmt::format("unknown {} '{}'; known: {}", what_, name, join_names(names())));
    }
    return it->second(std::forward<Args>(args)...);
  }

 private:
  std::string what_, field_;
  std::map<std::string, Factory> factories_;
};

}  // namespace llmsim
