#include "validate/collectives/collective_validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "common/csv_reader.hpp"
#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "common/output_files.hpp"
#include "common/yaml_fields.hpp"
#include "hwmodels/catalog.hpp"
#include "validate/corpus/corpus_text.hpp"

namespace llmsim::validate {

namespace {

struct Rule {
  std::regex pattern;
  std::string text;            // the pattern as written, for messages
  std::string implementation;  // empty: skip
  std::string skip;
  double bytes_per_unit = 1;
};

struct SystemRule {
  std::regex pattern;
  std::string catalog;
};

struct Mapping {
  std::vector<Rule> rules;
  std::vector<SystemRule> systems;
};

std::regex compile(const std::string& text, const YamlFields& f, const YAML::Node& node) {
  try {
    return std::regex(text, std::regex::icase | std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw f.error_at(node, "match", std::string("is not a regular expression: ") + e.what());
  }
}

Mapping read_mapping(const std::string& file) {
  return read_yaml_checked(file, [&] {
    const YAML::Node root = load_yaml_file(file);
    YamlFields top(root, file, "");
    Mapping m;
    const auto rules = top.required("implementations");
    if (!rules.IsSequence()) throw top.error_at(rules, "implementations", "must be a list of rules");
    for (std::size_t i = 0; i < rules.size(); ++i) {
      YamlFields f(rules[i], file, "implementations[" + std::to_string(i) + "]");
      Rule r;
      r.text = f.required_string("match");
      r.pattern = compile(r.text, f, rules[i]);
      r.implementation = f.optional_string("implementation", "");
      r.skip = f.optional_string("skip", "");
      r.bytes_per_unit = f.optional_number("bytes_per_unit", 1, 1e-3, 1e3);
      if (r.implementation.empty() == r.skip.empty())
        throw f.error("implementation", "give an implementation or a reason to skip, not both");
      f.finish();
      m.rules.push_back(std::move(r));
    }
    const auto systems = top.required("systems");
    if (!systems.IsSequence()) throw top.error_at(systems, "systems", "must be a list of rules");
    for (std::size_t i = 0; i < systems.size(); ++i) {
      YamlFields f(systems[i], file, "systems[" + std::to_string(i) + "]");
      SystemRule s;
      s.pattern = compile(f.required_string("match"), f, systems[i]);
      s.catalog = f.required_string("catalog");
      f.finish();
      m.systems.push_back(std::move(s));
    }
    top.finish();
    return m;
  });
}

double parse_positive(const std::string& text, const std::string& where, const std::string& column) {
  if (const auto v = corpus_text::number(text); v && std::isfinite(*v) && *v > 0) return *v;
  throw InputError(where, fmt::format("column {} must be a positive number, not '{}'", column, text));
}

// The catalog system's GPU-to-GPU link rate per direction, GB/s.
double peer_link_gbs(const hwmodels::Catalog& catalog, const std::string& id, std::map<std::string, double>& cache) {
  if (auto it = cache.find(id); it != cache.end()) return it->second;
  const auto system = catalog.load(id);
  for (const auto* d : system.devices_of(hwmodels::DeviceKind::gpu)) {
    if (d->peer_link) return cache[id] = d->peer_link->bandwidth_gbs.value;
  }
  throw InputError(id, "the catalog system has no GPU with a peer link: an all-reduce table cannot be mapped to it");
}

double squared_log_error(const hwmodels::AllReduceImpl& impl, const std::vector<const CollectiveRow*>& rows) {
  double sum = 0;
  for (const auto* r : rows) {
    const double t = hwmodels::all_reduce_seconds(impl, r->bytes, r->ranks, r->link_gbs) * 1e6;
    const double e = std::log(t / r->measured_us);
    sum += e * e;
  }
  return sum;
}

double median_abs(std::vector<double> v) {
  if (v.empty()) return 0;
  for (auto& x : v) x = std::abs(x);
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The two terms are told apart only by rows where each dominates: a fit whose rows have no
// message of 1 MiB or less cannot know alpha, and one with no message of 64 MiB or more cannot
// know the link share (both NCCL tables cross over between the two). Such a fit predicts
// nothing held out.
bool identifies_both_terms(const std::vector<const CollectiveRow*>& rows) {
  const bool small = std::any_of(rows.begin(), rows.end(), [](const auto* r) { return r->bytes <= (1 << 20); });
  const bool large = std::any_of(rows.begin(), rows.end(), [](const auto* r) { return r->bytes >= (64 << 20); });
  return small && large;
}

}  // namespace

hwmodels::AllReduceImpl fit_all_reduce(const std::vector<const CollectiveRow*>& rows) {
  hwmodels::AllReduceImpl best;
  double best_error = INFINITY;
  // Log-spaced grids: alpha 0.3..300 us, link share 0.02..3; then a grid 1/20 as wide around
  // the best point. Both errors are smooth in log space, so two levels land within a percent.
  auto search = [&](double a_lo, double a_hi, double f_lo, double f_hi) {
    const int n = 121;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        hwmodels::AllReduceImpl impl;
        impl.latency_us = a_lo * std::pow(a_hi / a_lo, i / double(n - 1));
        impl.bandwidth_fraction = f_lo * std::pow(f_hi / f_lo, j / double(n - 1));
        const double e = squared_log_error(impl, rows);
        if (e < best_error) {
          best_error = e;
          best = impl;
        }
      }
    }
  };
  search(0.3, 300, 0.02, 3);
  const double a = best.latency_us, f = best.bandwidth_fraction;
  search(a / 1.5, a * 1.5, f / 1.5, f * 1.5);
  return best;
}

CollectiveReport validate_collectives(const std::string& table, const std::string& mapping_file,
                                      const std::string& catalog_dir, CollectiveCv cv) {
  const Mapping mapping = read_mapping(mapping_file);
  const hwmodels::Catalog catalog(catalog_dir);
  std::map<std::string, double> links;
  CollectiveReport report;
  report.cv = cv;
  CsvReader reader(table, read_input_file(table, kMaxTableBytes));
  CsvRecord record;
  if (!reader.next(record)) throw InputError(table, "the table is empty");
  const CsvHeader header(record, table);
  for (const char* column : {"source", "system", "gpus", "library", "algorithm_or_notes", "bytes", "time_us"})
    header.require(column);
  while (reader.next(record)) {
    header.check_width(record);
    const std::string where = fmt::format("{}:{}", table, record.line);
    const std::string text = header.cell(record, "system") + " | " + header.cell(record, "library") + " | " +
                             header.cell(record, "algorithm_or_notes");
    const Rule* rule = nullptr;
    for (const auto& r : mapping.rules) {
      if (std::regex_search(text, r.pattern)) {
        rule = &r;
        break;
      }
    }
    if (rule == nullptr) {
      report.skipped.emplace_back(record.line, "no mapping rule matches");
      continue;
    }
    if (!rule->skip.empty()) {
      report.skipped.emplace_back(record.line, rule->skip);
      continue;
    }
    const SystemRule* system = nullptr;
    for (const auto& s : mapping.systems) {
      if (std::regex_search(header.cell(record, "system"), s.pattern)) {
        system = &s;
        break;
      }
    }
    if (system == nullptr) {
      report.skipped.emplace_back(record.line, "system not mapped to the catalog");
      continue;
    }
    CollectiveRow row;
    row.line = record.line;
    const auto& source = header.cell(record, "source");
    row.source = source.substr(0, source.find(' '));
    row.system = system->catalog;
    row.implementation = rule->implementation;
    row.ranks = static_cast<int>(parse_positive(header.cell(record, "gpus"), where, "gpus"));
    row.bytes = parse_positive(header.cell(record, "bytes"), where, "bytes") * rule->bytes_per_unit;
    row.measured_us = parse_positive(header.cell(record, "time_us"), where, "time_us");
    row.link_gbs = peer_link_gbs(catalog, row.system, links);
    row.group = cv == CollectiveCv::source ? row.source : row.system;
    report.rows.push_back(row);
  }
  std::map<std::string, std::vector<std::size_t>> by_impl;
  for (std::size_t i = 0; i < report.rows.size(); ++i) by_impl[report.rows[i].implementation].push_back(i);
  for (const auto& [impl, members] : by_impl) {
    std::vector<const CollectiveRow*> all;
    std::set<std::string> groups;
    for (std::size_t i : members) {
      all.push_back(&report.rows[i]);
      groups.insert(report.rows[i].group);
    }
    CollectiveFitResult fit{impl, fit_all_reduce(all), members.size(), groups.size()};
    fit.in_sample.name = impl;
    for (std::size_t i : members) {
      auto& r = report.rows[i];
      r.in_sample_us = hwmodels::all_reduce_seconds(fit.in_sample, r.bytes, r.ranks, r.link_gbs) * 1e6;
    }
    if (groups.size() > 1) {
      for (const auto& group : groups) {
        std::vector<const CollectiveRow*> train;
        for (std::size_t i : members)
          if (report.rows[i].group != group) train.push_back(&report.rows[i]);
        if (!identifies_both_terms(train)) continue;
        const auto held = fit_all_reduce(train);
        for (std::size_t i : members) {
          auto& r = report.rows[i];
          if (r.group == group) r.held_out_us = hwmodels::all_reduce_seconds(held, r.bytes, r.ranks, r.link_gbs) * 1e6;
        }
      }
    }
    report.fits.push_back(fit);
  }
  return report;
}

std::string collective_report_text(const CollectiveReport& report) {
  std::string out = fmt::format("all-reduce rows: {} mapped, {} skipped; held out by {}\n", report.rows.size(),
                                report.skipped.size(), report.cv == CollectiveCv::source ? "source" : "hardware");
  std::map<std::string, int> why;
  for (const auto& [line, reason] : report.skipped) ++why[reason];
  for (const auto& [reason, n] : why) out += fmt::format("  skipped {:3}  {}\n", n, reason);
  out += "\nmodel: time = alpha + bytes x 2(N-1)/N / (peer link rate x share); error = predicted / measured - 1\n";
  out += fmt::format("{:<16} {:>5} {:>7} {:>9} {:>7} {:>10} {:>9} {:>10}\n", "implementation", "rows", "groups",
                     "alpha_us", "share", "in-sample", "held-out", "held rows");
  std::vector<double> all_in, all_held;
  for (const auto& fit : report.fits) {
    std::vector<double> in, held;
    for (const auto& r : report.rows) {
      if (r.implementation != fit.implementation) continue;
      in.push_back(r.in_sample_us / r.measured_us - 1);
      if (r.held_out_us) held.push_back(*r.held_out_us / r.measured_us - 1);
    }
    all_in.insert(all_in.end(), in.begin(), in.end());
    all_held.insert(all_held.end(), held.begin(), held.end());
    out += fmt::format("{:<16} {:>5} {:>7} {:>9.2f} {:>7.3f} {:>9.1f}% {:>8} {:>10}\n", fit.implementation, fit.rows,
                       fit.groups, fit.in_sample.latency_us, fit.in_sample.bandwidth_fraction, 100 * median_abs(in),
                       held.empty() ? std::string("-") : fmt::format("{:.1f}%", 100 * median_abs(held)), held.size());
  }
  out += fmt::format("{:<16} {:>5} {:>7} {:>9} {:>7} {:>9.1f}% {:>8} {:>10}\n", "all", report.rows.size(), "", "", "",
                     100 * median_abs(all_in),
                     all_held.empty() ? std::string("-") : fmt::format("{:.1f}%", 100 * median_abs(all_held)),
                     all_held.size());
  out += "median |error|; held-out: each group's rows predicted by the fit on the implementation's other groups "
         "('-': one group only, or no fit without a group had messages of both <= 1 MiB and >= 64 MiB "
         "to tell alpha from the link share)\n";
  return out;
}

std::string collective_rows_csv(const CollectiveReport& report) {
  std::string out = "line,source,system,implementation,ranks,bytes,link_gbs,measured_us,in_sample_us,held_out_us\n";
  for (const auto& r : report.rows) {
    out += csv_record({std::to_string(r.line), r.source, r.system, r.implementation, std::to_string(r.ranks),
                       fmt::format("{:.0f}", r.bytes), fmt::format("{:g}", r.link_gbs), fmt::format("{:g}", r.measured_us),
                       fmt::format("{:.4g}", r.in_sample_us),
                       r.held_out_us ? fmt::format("{:.4g}", *r.held_out_us) : std::string()}) +
           "\n";
  }
  return out;
}

}  // namespace llmsim::validate
