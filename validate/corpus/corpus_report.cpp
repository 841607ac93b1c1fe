#include "validate/corpus/corpus_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "common/output_files.hpp"

namespace llmsim::validate {

namespace {

double err(double measured_s, double predicted_s) { return measured_s / predicted_s - 1.0; }

struct Columns : ErrorColumns {
  void add(const CorpusPrediction& p) {
    defaults.push_back(err(p.measured_s, p.defaults_s));
    in_sample.push_back(err(p.measured_s, p.in_sample_s));
    held_out.push_back(err(p.measured_s, p.held_out_s));
  }
};

std::string table(const std::string& title, const std::map<std::string, Columns>& groups) {
  return error_table(title, std::map<std::string, ErrorColumns>(groups.begin(), groups.end()));
}

}  // namespace

std::string error_table(const std::string& title, const std::map<std::string, ErrorColumns>& groups,
                        std::size_t name_width) {
  std::string out = fmt::format("{:<{}} {:>5} {:>9} {:>10} {:>9} {:>9} {:>9}\n", title, name_width, "rows", "defaults",
                                "in-sample", "held-out", "held p90", "held bias");
  for (const auto& [name, c] : groups) {
    const auto d = corpus_error_stats(c.defaults), i = corpus_error_stats(c.in_sample),
               h = corpus_error_stats(c.held_out);
    out += fmt::format("{:<{}} {:>5} {:>8.1f}% {:>9.1f}% {:>8.1f}% {:>8.1f}% {:>+8.1f}%\n", name, name_width, h.count,
                       100 * d.median_abs, 100 * i.median_abs, 100 * h.median_abs, 100 * h.p90_abs, 100 * h.bias);
  }
  return out;
}

namespace {

std::string engine_of(const std::string& software) {
  std::string s = software.substr(0, software.find(' '));
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

struct FamilyCoverage {
  std::size_t rows = 0, expressible = 0;
  std::set<std::string> hardware;
};

struct Coverage {
  std::set<std::string> sources, hardware, engines, models;
  std::map<std::string, std::size_t> why;  // category -> rows
  std::map<std::string, FamilyCoverage> families;
};

Coverage coverage(const CorpusReport& r) {
  Coverage c;
  auto add = [&](const CorpusRow& row, bool expressible) {
    c.sources.insert(row.source_key());
    c.hardware.insert(row.hardware);
    c.engines.insert(engine_of(row.software));
    c.models.insert(row.model);
    const auto f = r.family.find(&row);
    auto& fam = c.families[f == r.family.end() ? "unclassified" : f->second];
    fam.rows++;
    fam.expressible += expressible ? 1 : 0;
    fam.hardware.insert(row.hardware);
  };
  for (const auto& p : r.predicted) add(*p.row, true);
  for (const auto& [row, why] : r.not_expressible) {
    add(*row, false);
    c.why[why.substr(0, why.find(':'))]++;
  }
  return c;
}

}  // namespace

CorpusErrorStats corpus_error_stats(const std::vector<double>& errors) {
  CorpusErrorStats s;
  s.count = errors.size();
  if (errors.empty()) return s;
  std::vector<double> abs, signed_errors = errors;
  for (double e : errors) abs.push_back(std::fabs(e));
  std::sort(abs.begin(), abs.end());
  std::sort(signed_errors.begin(), signed_errors.end());
  auto quantile = [](const std::vector<double>& v, double q) {
    // Linear interpolation between order statistics (numpy's default).
    const double at = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(at));
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (at - static_cast<double>(lo)) * (v[hi] - v[lo]);
  };
  s.median_abs = quantile(abs, 0.5);
  s.p90_abs = quantile(abs, 0.9);
  s.bias = quantile(signed_errors, 0.5);
  return s;
}

std::string corpus_report_text(const CorpusReport& r) {
  const Coverage cov = coverage(r);
  std::string out = fmt::format(
      "corpus: {} rows from {} sources, {} hardware names in {} families, {} engines, {} models ({} MoE)\n"
      "expressible: {} of {} rows ({:.0f}%); held out by {}\n",
      r.rows, cov.sources.size(), cov.hardware.size(), cov.families.size(), cov.engines.size(), cov.models.size(),
      r.moe_models.size(), r.predicted.size(),
      r.rows, r.rows ? 100.0 * static_cast<double>(r.predicted.size()) / static_cast<double>(r.rows) : 0.0,
      to_string(r.cv));
  out += fmt::format("{:<36} {:>5} {:>9} {:>12}\n", "hardware family", "rows", "hardware", "expressible");
  for (const auto& [name, f] : cov.families)
    out += fmt::format("{:<36} {:>5} {:>9} {:>12}\n", name, f.rows, f.hardware.size(), f.expressible);
  if (!cov.why.empty()) {
    out += "not expressible, by reason:\n";
    for (const auto& [why, n] : cov.why) out += fmt::format("  {:>4}  {}\n", n, why);
  }
  std::map<std::string, Columns> families, phases, all;
  for (const auto& p : r.predicted) {
    families[p.family].add(p);
    phases[p.situation.phase].add(p);
    all["all expressible rows"].add(p);
  }
  out += "\nmedian |error| of the rate (+ = llmsim faster than measured); held-out: fitted without the row's " +
         to_string(r.cv) + "\n";
  out += table("family (device class / engine / phase)", families);
  out += "\n" + table("phase", phases);
  out += "\n" + table("overall", all);
  return out;
}

nlohmann::json corpus_report_json(const CorpusReport& r) {
  const Coverage cov = coverage(r);
  nlohmann::json j = {{"rows", r.rows},
                      {"expressible", r.predicted.size()},
                      {"cv", to_string(r.cv)},
                      {"sources", cov.sources.size()},
                      {"hardware_names", cov.hardware.size()},
                      {"engines", cov.engines.size()},
                      {"models", cov.models.size()},
                      {"moe_models", r.moe_models.size()},
                      {"not_expressible", cov.why},
                      {"fitted", r.fitted}};
  auto stats = [](const Columns& c) {
    nlohmann::json out;
    for (const auto& [name, v] : {std::pair{"defaults", &c.defaults}, {"in_sample", &c.in_sample},
                                  {"held_out", &c.held_out}}) {
      const auto s = corpus_error_stats(*v);
      out[name] = {{"count", s.count}, {"median_abs_pct", 100 * s.median_abs}, {"p90_abs_pct", 100 * s.p90_abs},
                   {"bias_pct", 100 * s.bias}};
    }
    return out;
  };
  std::map<std::string, Columns> families, phases;
  Columns all;
  for (const auto& p : r.predicted) {
    families[p.family].add(p);
    phases[p.situation.phase].add(p);
    all.add(p);
  }
  for (const auto& [name, f] : cov.families) {
    j["hardware_families"][name] = {{"rows", f.rows}, {"hardware", f.hardware.size()}, {"expressible", f.expressible}};
  }
  for (const auto& [f, c] : families) j["families"][f] = stats(c);
  for (const auto& [f, c] : phases) j["phases"][f] = stats(c);
  j["overall"] = stats(all);
  return j;
}

std::string corpus_rows_csv(const CorpusReport& r) {
  auto quoted = [](const std::string& s) { return csv_field(s); };
  // measured_s / predicted_s (held out) and class are what `llmsim plot validation` reads.
  std::string out = "id,file,source,hardware_id,class,measured_s,predicted_s,defaults_s,in_sample_s,measured_rate,"
                    "held_out_rate,held_out_error_pct,not_expressible\n";
  for (const auto& p : r.predicted) {
    const double work = p.measured_s * p.row->value;  // tokens: rate x seconds
    out += fmt::format("{},{},{},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.2f},\n", p.row->id,
                       quoted(p.row->file), quoted(p.row->source_key()), p.situation.hardware, quoted(p.family),
                       p.measured_s, p.held_out_s, p.defaults_s, p.in_sample_s, p.row->value, work / p.held_out_s,
                       100 * err(p.measured_s, p.held_out_s));
  }
  // Rows llmsim cannot express: no times (the plot leaves rows with zero times out and counts them).
  for (const auto& [row, why] : r.not_expressible) {
    out += fmt::format("{},{},{},,not expressible,0,0,0,0,{:.6g},,,{}\n", row->id, quoted(row->file),
                       quoted(row->source_key()), row->value, quoted(why));
  }
  return out;
}

}  // namespace llmsim::validate
