#include "common/input_error.hpp"

namespace llmsim {

namespace {
std::string compose(const std::string& where, const std::string& what) {
  return where.empty() ? what : where + ": " + what;
}
}  // namespace

InputError::InputError(const std::string& where, const std::string& what)
    : std::runtime_error(compose(where, what)), where_(where) {}

}  // namespace llmsim
