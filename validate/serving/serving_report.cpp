#include <fmt/format.h>

#include <map>
#include <set>

#include "validate/corpus/corpus_report.hpp"
#include "validate/serving/serving_rows.hpp"
#include "validate/serving/serving_validation.hpp"

namespace llmsim::validate {

namespace {

double rate_error(double predicted, double measured) { return predicted / measured - 1.0; }

struct ServingColumns : ErrorColumns {
  void add(const ServingPrediction& p) {
    defaults.push_back(rate_error(p.defaults, p.measured));
    in_sample.push_back(rate_error(p.in_sample, p.measured));
    held_out.push_back(rate_error(p.held_out, p.measured));
  }
};

std::string serving_table(const std::string& title, const std::map<std::string, ServingColumns>& groups) {
  return error_table(title, std::map<std::string, ErrorColumns>(groups.begin(), groups.end()), 36);
}

}  // namespace

std::string serving_report_text(const ServingReport& r) {
  std::set<std::string> sources, expressible_sources;
  for (const auto& p : r.predicted) expressible_sources.insert(p.row->source_key());
  std::map<std::string, std::size_t> why;
  for (const auto& [row, reason] : r.not_expressible) ++why[reason.substr(0, reason.find(':'))];
  std::string out = fmt::format(
      "serving rows: {} read, {} predicted from {} sources ({} distinct runs simulated); cross-validated by {}\n",
      r.rows, r.predicted.size(), expressible_sources.size(), r.runs, to_string(r.cv));
  out += "not expressible:\n";
  for (const auto& [reason, count] : why) out += fmt::format("  {:>4}  {}\n", count, reason);
  std::map<std::string, ServingColumns> families, classes;
  for (const auto& p : r.predicted) {
    families[p.family].add(p);
    classes[metric_class_of_family(p.family)].add(p);
  }
  out += "\nerror = predicted / measured - 1; columns are median |error| except the last two\n";
  out += serving_table("metric class", classes);
  out += "\n" + serving_table("engine / vendor / metric class", families);
  if (!r.fitted.empty()) {
    out += "\nhost work fitted on every row of each engine (what the in-sample column uses):\n";
    for (const auto& f : r.fitted) out += "  " + f + "\n";
  }
  return out;
}

std::string serving_rows_csv(const ServingReport& r) {
  std::string out = "id,source,family,metric,measured,defaults,in_sample,held_out\n";
  for (const auto& p : r.predicted) {
    out += fmt::format("{},\"{}\",{},{},{:.6g},{:.6g},{:.6g},{:.6g}\n", p.row->id, p.row->source_key(), p.family,
                       p.row->metric, p.measured, p.defaults, p.in_sample, p.held_out);
  }
  for (const auto& [row, why] : r.not_expressible) {
    out += fmt::format("{},\"{}\",not expressible: {},{},{:.6g},,,\n", row->id, row->source_key(), why, row->metric,
                       row->value);
  }
  return out;
}

std::string serving_grid_csv(const ServingReport& r) {
  std::string out = "id,source,family,group,metric,measured,defaults";
  for (const auto& g : r.grid) out += fmt::format(",{}/{}/{}", g.step_us, g.per_sequence_us, g.request_us);
  out += "\n";
  for (const auto& p : r.predicted) {
    out += fmt::format("{},\"{}\",{},\"{}\",{},{:.6g},{:.6g}", p.row->id, p.row->source_key(), p.family, p.group,
                       p.row->metric, p.measured, p.defaults);
    for (double v : p.at_points) out += fmt::format(",{:.6g}", v);
    out += "\n";
  }
  return out;
}

}  // namespace llmsim::validate
