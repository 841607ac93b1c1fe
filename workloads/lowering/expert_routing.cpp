// Which experts tokens pick: uniform, Zipf-skewed or a measured histogram, and what that means
// for one group of experts (one expert-parallel rank): distinct experts hit and its share of
// the routed work.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "workloads/lowering.hpp"

namespace llmsim::workloads {

namespace {

std::vector<double> read_histogram(const std::string& path) {
  if (!path_exists(path)) {
    throw InputError("--routing", fmt::format("'{}' is neither uniform, zipf:S nor a readable file", path));
  }
  std::istringstream in(read_input_file(path, kMaxConfigBytes));
  std::vector<double> counts;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      if (word[0] == '#') break;
      std::size_t used = 0;
      double v = -1;
      try {
        v = std::stod(word, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != word.size() || !(v >= 0) || !std::isfinite(v)) {
        throw InputError(fmt::format("{}:{}", path, line_no),
                         fmt::format("'{}' is not a non-negative count of routed tokens", word));
      }
      counts.push_back(v);
    }
  }
  return counts;
}

}  // namespace

ExpertRouting parse_expert_routing(const std::string& spec, int64_t experts) {
  ExpertRouting r;
  if (spec.empty() || spec == "uniform") return r;
  if (spec.rfind("zipf:", 0) == 0) {
    double s = -1;
    try {
      s = std::stod(spec.substr(5));
    } catch (const std::exception&) {
    }
    if (!(s >= 0 && s <= 10)) throw InputError("--routing", fmt::format("zipf exponent must be in [0, 10], got '{}'", spec));
    for (int64_t e = 1; e <= experts; ++e) r.popularity.push_back(std::pow(static_cast<double>(e), -s));
    r.basis = fmt::format("Zipf with exponent {} over experts in index order", s);
    return r;
  }
  r.popularity = read_histogram(spec);
  if (static_cast<int64_t>(r.popularity.size()) != experts) {
    throw InputError("--routing", fmt::format("'{}' lists {} expert counts; the model has {} experts", spec,
                                              r.popularity.size(), experts));
  }
  double total = 0;
  for (double v : r.popularity) total += v;
  if (total <= 0) throw InputError("--routing", fmt::format("'{}' counts no routed tokens", spec));
  r.basis = "measured expert histogram " + spec;
  return r;
}

ExpertLoad expert_load(const ExpertRouting& routing, double tokens, double top_k, int64_t experts, int64_t first,
                       int64_t last) {
  ExpertLoad load;
  const double n = static_cast<double>(experts);
  if (routing.popularity.empty()) {
    const double group = static_cast<double>(last - first);
    load.distinct = group * (1.0 - std::pow(1.0 - top_k / n, tokens));
    load.share = group / n;
    return load;
  }
  double total = 0;
  for (double v : routing.popularity) total += v;
  for (int64_t e = first; e < last; ++e) {
    const double p = routing.popularity[static_cast<std::size_t>(e)] / total;
    const double pick = std::min(1.0, top_k * p);  // chance one token routes to e
    load.distinct += 1.0 - std::pow(1.0 - pick, tokens);
    load.share += p;
  }
  return load;
}

double cache_hit_rate(const ExpertRouting& routing, int64_t experts, int64_t slots) {
  if (experts <= 0) return 0;
  slots = std::clamp<int64_t>(slots, 0, experts);
  if (routing.popularity.empty()) return static_cast<double>(slots) / static_cast<double>(experts);
  std::vector<double> p = routing.popularity;
  std::sort(p.begin(), p.end(), std::greater<>());
  double total = 0, top = 0;
  for (std::size_t e = 0; e < p.size(); ++e) {
    total += p[e];
    if (static_cast<int64_t>(e) < slots) top += p[e];
  }
  return total > 0 ? top / total : 0;
}

}  // namespace llmsim::workloads
