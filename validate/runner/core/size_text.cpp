#include "validate/runner/core/size_text.hpp"

#include <regex>

namespace llmsim::bench {

std::optional<std::int64_t> parse_size(const std::string& text) {
  static const std::regex pattern(R"(^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*$)");
  std::smatch match;
  if (!std::regex_match(text, match, pattern)) return std::nullopt;
  const double value = std::stod(match[1].str());
  const std::string unit = match[2].matched ? match[2].str() : "B";
  double scale = 1;
  if (unit == "KiB") scale = 1024.0;
  if (unit == "MiB") scale = 1024.0 * 1024;
  if (unit == "GiB") scale = 1024.0 * 1024 * 1024;
  if (unit == "KB") scale = 1e3;
  if (unit == "MB") scale = 1e6;
  if (unit == "GB") scale = 1e9;
  return static_cast<std::int64_t>(value * scale + 0.5);
}

std::string format_size(std::int64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (unit < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return std::to_string(bytes) + units[unit];
}

}  // namespace llmsim::bench
