#include "validate/corpus/corpus_validation.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "validate/prediction/case_evaluator.hpp"

namespace llmsim::validate {

CvGroup parse_cv_group(const std::string& text) {
  if (text == "source") return CvGroup::source;
  if (text == "hardware") return CvGroup::hardware;
  if (text == "engine") return CvGroup::engine;
  throw InputError("--cv", fmt::format("expected source, hardware or engine, got '{}'", text));
}

std::string to_string(CvGroup g) {
  switch (g) {
    case CvGroup::source: return "source";
    case CvGroup::hardware: return "hardware";
    case CvGroup::engine: return "engine";
  }
  return "?";
}

struct CorpusValidator::ProfileFit {
  hwmodels::SoftwareProfile profile;
  // The profile at each build a row states (profile `builds:`): the kernel paths differ, the
  // fitted parameters are the same ones, so rows of every build inform one fit.
  std::map<std::pair<int, std::string>, hwmodels::SoftwareProfile> at_build;  // (build, backend)
  DeviceTable devices;
  std::map<std::string, std::size_t> device_index;  // "hardware/kind" -> index into devices
  std::vector<PredictionCase> cases;
  std::vector<std::size_t> predictions;             // index into the report's predictions, parallel to cases
};

CorpusValidator::CorpusValidator(const sim::DataPaths& paths, CorpusMapping mapping)
    : paths_(paths),
      mapping_(std::move(mapping)),
      kinds_(hwmodels::MemoryKinds::load(paths.memory_kinds())),
      formats_(workloads::FormatTable::load(paths.formats())),
      steps_(std::make_unique<StepCaseBuilder>(paths, formats_)) {}

CorpusValidator::~CorpusValidator() = default;

CorpusValidator::ProfileFit& CorpusValidator::profile_fit(const std::string& profile) {
  auto& slot = fits_[profile];
  if (!slot) {
    slot = std::make_unique<ProfileFit>();
    slot->profile = hwmodels::ProfileSet(paths_.profiles()).load(profile);
  }
  return *slot;
}

const hwmodels::SoftwareProfile& CorpusValidator::profile_at(ProfileFit& fit, int build, const std::string& backend) {
  if (build <= 0) return fit.profile;
  auto it = fit.at_build.find({build, backend});
  if (it == fit.at_build.end()) {
    hwmodels::SoftwareProfile p = fit.profile;
    p.select_build(build, backend);
    it = fit.at_build.emplace(std::make_pair(build, backend), std::move(p)).first;
  }
  return it->second;
}

std::size_t CorpusValidator::device_for(ProfileFit& fit, const hwmodels::SoftwareProfile& profile,
                                        const std::string& hardware, const std::string& kind, int threads,
                                        double resident_bytes) {
  const hwmodels::System* system = nullptr;
  for (const auto& s : systems_)
    if (s.id == hardware) system = &s;
  if (!system) {
    systems_.push_back(hwmodels::Catalog(paths_.catalog()).load(hardware));
    system = &systems_.back();
  }
  const auto device_kind = kind == "cpu" ? hwmodels::DeviceKind::cpu : hwmodels::DeviceKind::gpu;
  const hwmodels::Device* device = system->first_device(device_kind);
  if (!device) throw InputError(hardware, fmt::format("the catalog system has no {} device", kind));
  // Rows whose weights fit in the CPU's caches get a device model that reads from them.
  const bool cached = sim::reads_from_cache(*device, threads, resident_bytes);
  // Builds with the same changes in force give the same device model.
  const std::string key =
      fmt::format("{}/{}/{}/{}/{}", hardware, kind, threads, cached, fmt::join(profile.applied, ","));
  if (auto it = fit.device_index.find(key); it != fit.device_index.end()) return it->second;
  fit.devices.models.push_back(
      sim::make_device_model(*system, *device, profile, kinds_, threads, cached ? resident_bytes : 0));
  fit.devices.scopes.push_back(profile.fit_scope(*device));
  fit.device_index[key] = fit.devices.models.size() - 1;
  return fit.devices.models.size() - 1;
}

namespace {

std::string group_of(const CorpusRow& row, const CorpusSituation& s, CvGroup cv) {
  switch (cv) {
    case CvGroup::source: return row.source_key();
    case CvGroup::hardware: return s.hardware;
    case CvGroup::engine: return s.profile;
  }
  return "";
}

// The measured rate as seconds per decode step (all sequences) or per prompt batch.
double measured_seconds(const CorpusRow& row, const CorpusSituation& s) {
  const double batch = static_cast<double>(s.step.batch);
  return s.step.decode ? batch / row.value : batch * static_cast<double>(s.step.prompt) / row.value;
}

std::string rows_list(const std::vector<const PredictionCase*>& cases, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < cases.size() && i < limit; ++i) out += (i ? "," : "") + cases[i]->id;
  if (cases.size() > limit) out += fmt::format(",... ({} rows)", cases.size());
  return out;
}

// Runs `tasks` on up to one thread per core; an exception in a task is rethrown here.
void run_in_parallel(const std::vector<std::function<void()>>& tasks) {
  const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 16);
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    for (std::size_t i = next++; i < tasks.size(); i = next++) {
      try {
        tasks[i]();
      } catch (...) {
        const std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

CorpusReport CorpusValidator::run(const std::vector<CorpusRow>& rows, CvGroup cv,
                                  const std::vector<std::string>& parameters, const FitOptions& options) {
  CorpusReport report;
  report.cv = cv;
  report.rows = rows.size();
  for (const auto& row : rows) {
    const std::string family = mapping_.family(row.hardware);
    report.family[&row] = family.empty() ? "unclassified" : family;
    if (mapping_.is_moe(row.model)) report.moe_models.insert(row.model);
    const MappedRow mapped = mapping_.map(row);
    if (!mapped.situation) {
      report.not_expressible.emplace_back(&row, mapped.why_kind + ": " + mapped.why_not);
      continue;
    }
    const CorpusSituation& s = *mapped.situation;
    try {
      ProfileFit& fit = profile_fit(s.profile);
      PredictionCase c;
      c.id = std::to_string(row.id);
      c.kernel_class = s.step.decode ? "decode_step" : "prefill_step";
      c.hardware = s.hardware;
      c.shape_key = group_of(row, s, cv);
      const hwmodels::SoftwareProfile& profile = profile_at(fit, s.build, s.backend);
      c.device = device_for(fit, profile, s.hardware, s.device, s.threads, steps_->weight_bytes(s.step));
      c.measured_s = measured_seconds(row, s);
      const auto& model = fit.devices.models[c.device];
      c.ops = steps_->step_ops(s.step, model, profile);
      CorpusPrediction p;
      p.row = &row;
      p.situation = s;
      p.family = fmt::format("{} / {} / {}", fit.devices.scopes[c.device], s.profile, s.phase);
      p.group = c.shape_key;
      p.measured_s = c.measured_s;
      p.defaults_s = predict_seconds(c, model, parameters_of(model));
      fit.cases.push_back(std::move(c));
      fit.predictions.push_back(report.predicted.size());
      report.predicted.push_back(p);
    } catch (const InputError& e) {
      report.not_expressible.emplace_back(&row, fmt::format("lowering: {}: {}", e.where(), e.what()));
    }
  }
  // Per profile and device class (the scope of its parameters: a case's time depends on its
  // own class's parameters only, so the classes are fitted apart, which is the same least-squares
  // problem at a fraction of the cost): one fit on every row, plus one per held-out group.
  // These are independent tasks, run on every core; each writes only its own rows' predictions.
  struct Unit {
    ProfileFit* fit;
    std::string profile, scope;
    std::vector<std::size_t> cases;  // indexes into fit->cases
    std::unique_ptr<EfficiencyFit> model;
    std::size_t first_line = 0;      // its lines in report.fitted
  };
  std::vector<std::unique_ptr<Unit>> units;
  for (auto& [name, fit] : fits_) {
    std::map<std::string, std::vector<std::size_t>> by_scope;
    for (std::size_t i = 0; i < fit->cases.size(); ++i) by_scope[fit->devices.scopes[fit->cases[i].device]].push_back(i);
    for (auto& [scope, cases] : by_scope) {
      auto u = std::make_unique<Unit>();
      u->fit = fit.get();
      u->profile = name;
      u->scope = scope;
      u->cases = cases;
      const auto& device = fit->devices.models[fit->cases[cases.front()].device];
      std::vector<FitParameter> params;
      for (const auto& p : parameters) params.push_back(make_fit_parameter(p, device, scope));
      u->model = std::make_unique<EfficiencyFit>(fit->devices, params, options);
      u->first_line = report.fitted.size();
      report.fitted.resize(report.fitted.size() + params.size());
      units.push_back(std::move(u));
    }
  }
  std::vector<std::function<void()>> tasks;
  for (const auto& unit : units) {
    const Unit* u = unit.get();
    auto cases_except = [u](const std::string& group) {
      std::vector<const PredictionCase*> out;
      for (std::size_t i : u->cases)
        if (u->fit->cases[i].shape_key != group) out.push_back(&u->fit->cases[i]);
      return out;
    };
    tasks.push_back([&report, u, cases_except] {
      const auto all = cases_except("");
      const FitResult everything = u->model->fit(all);
      const auto start = u->model->start_values();
      const auto& params = u->model->parameters();
      for (std::size_t j = 0; j < params.size(); ++j) {
        report.fitted[u->first_line + j] =
            fmt::format("{} {} {:.4g} -> {:.4g}{} (rows {})", u->profile, params[j].label(), start[j],
                        everything.values[j], everything.identified[j] ? "" : " (not identified)", rows_list(all, 12));
      }
      for (std::size_t i : u->cases) {
        report.predicted[u->fit->predictions[i]].in_sample_s = u->model->predict(u->fit->cases[i], everything.values);
      }
    });
    std::set<std::string> groups;
    for (std::size_t i : u->cases) groups.insert(u->fit->cases[i].shape_key);
    // Leave one group out: the fit never sees a row of the group it predicts.
    for (const auto& g : groups) {
      tasks.push_back([&report, u, g, cases_except] {
        const auto train = cases_except(g);
        const std::vector<double> values = train.empty() ? u->model->start_values() : u->model->fit(train).values;
        for (std::size_t i : u->cases) {
          const auto& c = u->fit->cases[i];
          if (c.shape_key == g) report.predicted[u->fit->predictions[i]].held_out_s = u->model->predict(c, values);
        }
      });
    }
  }
  run_in_parallel(tasks);
  return report;
}

}  // namespace llmsim::validate
