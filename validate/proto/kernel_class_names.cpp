#include "validate/proto/kernel_class_names.hpp"

#include <algorithm>
#include <cctype>

namespace llmsim::measurements {

std::string kernel_class_name(KernelClass kernel) {
  // The proto names are KERNEL_CLASS_<NAME>; the short name is <name> in lower case.
  std::string name = KernelClass_Name(kernel);
  const std::string prefix = "KERNEL_CLASS_";
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

std::optional<KernelClass> kernel_class_from_name(const std::string& name) {
  std::string upper = "KERNEL_CLASS_" + name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  KernelClass kernel{};
  if (name.empty() || name == "unspecified" || !KernelClass_Parse(upper, &kernel)) return std::nullopt;
  return kernel;
}

std::vector<std::string> kernel_class_names() {
  std::vector<std::string> names;
  for (int value = KernelClass_MIN + 1; value <= KernelClass_MAX; ++value) {
    if (KernelClass_IsValid(value)) names.push_back(kernel_class_name(static_cast<KernelClass>(value)));
  }
  return names;
}

}  // namespace llmsim::measurements
