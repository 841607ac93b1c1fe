// A problem with something the user gave us (a file, a flag, a value).
// The message always names where the problem is and what was expected, so
// the CLI can print it as-is and tests can check it.
#pragma once

#include <stdexcept>
#include <string>

namespace llmsim {

class InputError : public std::runtime_error {
 public:
  /// `where` is a file (optionally "file:line"), a flag name, or "" when not applicable.
  InputError(const std::string& where, const std::string& what);

  const std::string& where() const { return where_; }

 private:
  std::string where_;
};

}  // namespace llmsim
