#include "sim/sweep/sweep_grid.hpp"

#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "common/input_error.hpp"

namespace llmsim::sim::sweep {

namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

bool parse_size(const std::string& text, std::size_t& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc() && ptr == end;
}

}  // namespace

SweepGrid::SweepGrid(std::vector<SweepAxis> axes) {
  for (auto& axis : axes) add_axis(std::move(axis));
}

SweepAxis SweepGrid::parse_set(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos) {
    throw InputError("--set", fmt::format("'{}' must be KEY=VALUE[,VALUE...], e.g. batch=1,2,4", text));
  }
  SweepAxis axis;
  axis.key = trim(text.substr(0, eq));
  if (axis.key.empty()) throw InputError("--set", fmt::format("'{}' has no key before '='", text));
  const std::string values = text.substr(eq + 1);
  std::size_t start = 0;
  while (true) {
    const auto comma = values.find(',', start);
    const std::string value =
        trim(values.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (value.empty()) throw InputError("--set", fmt::format("'{}' has an empty value for {}", text, axis.key));
    axis.values.push_back(value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return axis;
}

void SweepGrid::add_axis(SweepAxis axis) {
  if (has_axis(axis.key)) throw InputError("--set", fmt::format("{} is set twice", axis.key));
  if (axis.values.empty()) throw InputError("--set", fmt::format("{} has no values", axis.key));
  axes_.push_back(std::move(axis));
}

void SweepGrid::prepend_axis(SweepAxis axis) {
  if (has_axis(axis.key)) throw InputError("--set", fmt::format("{} is set twice", axis.key));
  axes_.insert(axes_.begin(), std::move(axis));
}

bool SweepGrid::has_axis(const std::string& key) const {
  for (const auto& a : axes_) {
    if (a.key == key) return true;
  }
  return false;
}

std::size_t SweepGrid::size() const {
  std::size_t n = 1;
  for (const auto& a : axes_) {
    if (n > std::numeric_limits<std::size_t>::max() / a.values.size())
      throw InputError("--set", "the grid is too large");
    n *= a.values.size();
  }
  // Each point is a child process and a CSV row; past a million the run would take weeks and
  // its bookkeeping gigabytes (docs/reliability.md, "Limits").
  if (n > kMaxSweepPoints) {
    throw InputError("--set", fmt::format("the grid has {} points; a sweep runs at most {}", n, kMaxSweepPoints));
  }
  return n;
}

SweepPoint SweepGrid::point(std::size_t index) const {
  SweepPoint p(axes_.size());
  // Mixed-radix digits of `index`, the last axis being the least significant.
  for (std::size_t k = axes_.size(); k-- > 0;) {
    const auto& a = axes_[k];
    p[k] = {a.key, a.values[index % a.values.size()]};
    index /= a.values.size();
  }
  return p;
}

std::string SweepGrid::canonical() const {
  std::string text;
  for (const auto& a : axes_) {
    text += a.key + "=";
    for (std::size_t i = 0; i < a.values.size(); ++i) text += (i ? "," : "") + a.values[i];
    text += "\n";
  }
  return text;
}

Shard Shard::parse(const std::string& text) {
  const auto slash = text.find('/');
  Shard s;
  if (slash == std::string::npos || !parse_size(text.substr(0, slash), s.index) ||
      !parse_size(text.substr(slash + 1), s.count) || s.count == 0 || s.index >= s.count) {
    throw InputError("--shard", fmt::format("'{}' must be I/N with 0 <= I < N (e.g. 0/4 ... 3/4)", text));
  }
  return s;
}

std::vector<std::size_t> Shard::points(std::size_t total) const {
  std::vector<std::size_t> out;
  for (std::size_t i = index; i < total; i += count) out.push_back(i);
  return out;
}

}  // namespace llmsim::sim::sweep
