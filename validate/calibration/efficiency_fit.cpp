#include "validate/calibration/efficiency_fit.hpp"

#include <Eigen/Core>
#include <unsupported/Eigen/NonLinearOptimization>
#include <unsupported/Eigen/NumericalDiff>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "validate/prediction/case_evaluator.hpp"

namespace llmsim::validate {

namespace {

// Logistic coordinate <-> value within [lower, upper] (on a log scale where asked).
double to_value(const FitParameter& p, double z) {
  const double s = 1.0 / (1.0 + std::exp(-z));
  if (p.log_scale) return std::exp(std::log(p.lower) + s * (std::log(p.upper) - std::log(p.lower)));
  return p.lower + s * (p.upper - p.lower);
}

double to_coordinate(const FitParameter& p, double value) {
  constexpr double kEdge = 1e-2;  // start at least 1% inside the range, where the gradient is not flat
  double s = p.log_scale ? (std::log(std::clamp(value, p.lower, p.upper)) - std::log(p.lower)) /
                               (std::log(p.upper) - std::log(p.lower))
                         : (std::clamp(value, p.lower, p.upper) - p.lower) / (p.upper - p.lower);
  s = std::clamp(s, kEdge, 1.0 - kEdge);
  return std::log(s / (1.0 - s));
}

// The i-th point of the Halton sequence in base b, in (0, 1).
double halton(int i, int b) {
  double f = 1, r = 0;
  for (int n = i; n > 0; n /= b) {
    f /= b;
    r += f * (n % b);
  }
  return r;
}

constexpr int kPrimes[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53};

// Eigen's functor: free coordinates in, residuals out (data, then prior).
struct Residuals {
  using Scalar = double;
  enum { InputsAtCompileTime = Eigen::Dynamic, ValuesAtCompileTime = Eigen::Dynamic };
  using InputType = Eigen::VectorXd;
  using ValueType = Eigen::VectorXd;
  using JacobianType = Eigen::MatrixXd;

  const EfficiencyFit* fit;
  const std::vector<const PredictionCase*>* cases;
  std::vector<std::size_t> free;   // parameter index of each coordinate
  std::vector<double> fixed;       // every parameter's value (free ones overwritten)
  Eigen::VectorXd start;           // coordinates the prior pulls towards
  double prior_weight;
  double robust_scale;             // Cauchy loss scale on log errors; 0 = plain least squares

  int inputs() const { return static_cast<int>(free.size()); }
  int values() const { return static_cast<int>(cases->size() + free.size()); }

  std::vector<double> values_at(const Eigen::VectorXd& z) const {
    std::vector<double> v = fixed;
    for (std::size_t i = 0; i < free.size(); ++i) {
      v[free[i]] = to_value(fit->parameters()[free[i]], z[static_cast<Eigen::Index>(i)]);
    }
    return v;
  }

  // A residual whose square is the Cauchy loss c^2 log(1 + (r/c)^2): r near 0, growing only
  // logarithmically for figures the model cannot express.
  double robust(double r) const {
    if (robust_scale <= 0) return r;
    const double c = robust_scale;
    return std::copysign(c * std::sqrt(std::log1p((r / c) * (r / c))), r);
  }

  int operator()(const Eigen::VectorXd& z, Eigen::VectorXd& r) const {
    const std::vector<double> v = values_at(z);
    for (std::size_t i = 0; i < cases->size(); ++i) {
      const PredictionCase& c = *(*cases)[i];
      r[static_cast<Eigen::Index>(i)] = robust(std::log(fit->predict(c, v) / c.measured_s));
    }
    for (std::size_t j = 0; j < free.size(); ++j) {
      const auto k = static_cast<Eigen::Index>(j);
      r[static_cast<Eigen::Index>(cases->size()) + k] = prior_weight * (z[k] - start[k]);
    }
    return 0;
  }
};

}  // namespace

EfficiencyFit::EfficiencyFit(const DeviceTable& devices, std::vector<FitParameter> parameters, FitOptions options)
    : devices_(devices), parameters_(std::move(parameters)), options_(options) {}

bool EfficiencyFit::in_scope(const FitParameter& p, std::size_t device) const {
  return p.scope.empty() || p.scope == devices_.scopes[device];
}

std::vector<double> EfficiencyFit::start_values() const {
  std::vector<double> v;
  for (const auto& p : parameters_) {
    std::size_t d = 0;
    while (d + 1 < devices_.models.size() && !in_scope(p, d)) ++d;
    v.push_back(p.get(parameters_of(devices_.models[d])));
  }
  return v;
}

DeviceParameters EfficiencyFit::apply(std::size_t device, const std::vector<double>& values) const {
  DeviceParameters d = parameters_of(devices_.models[device]);
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    if (in_scope(parameters_[i], device)) parameters_[i].set(d, values[i]);
  return d;
}

double EfficiencyFit::predict(const PredictionCase& c, const std::vector<double>& values) const {
  // Per-thread scratch, assigned rather than built, as in predict_seconds: the hot loop of a fit.
  thread_local DeviceParameters params;
  const sim::DeviceModel& model = devices_.models[c.device];
  params.efficiency = model.efficiency;
  params.bandwidth_bytes_per_s = model.achievable_bytes_per_s;
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    if (in_scope(parameters_[i], c.device)) parameters_[i].set(params, values[i]);
  return predict_seconds(c, model, params);
}

FitResult EfficiencyFit::fit(const std::vector<const PredictionCase*>& train) const {
  if (train.empty()) throw std::invalid_argument("EfficiencyFit::fit: no training cases");
  FitResult result;
  result.values = start_values();
  result.identified.assign(parameters_.size(), false);

  // A parameter is fitted only when the data pins it down: halving or doubling it changes
  // some training case by at least 2%, at the start values or with it in the middle of its
  // range (a roofline term may hide behind the other at one of them). Milliseconds-long
  // kernels say nothing about a microsecond launch cost, and then it keeps its start value.
  for (std::size_t j = 0; j < parameters_.size(); ++j) {
    result.identified[j] = responds(train, result.values, j, result.values[j]) ||
                           responds(train, result.values, j, to_value(parameters_[j], 0.0));
  }
  Residuals f{this, &train, {}, result.values, {}, options_.prior_weight, options_.robust_scale};
  for (std::size_t j = 0; j < parameters_.size(); ++j)
    if (result.identified[j]) f.free.push_back(j);
  const auto n = static_cast<Eigen::Index>(f.free.size());
  f.start.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto j = f.free[static_cast<std::size_t>(i)];
    f.start[i] = to_coordinate(parameters_[j], result.values[j]);
  }
  Eigen::VectorXd residuals(f.values());
  f(f.start, residuals);
  result.rms_log_error = std::sqrt(residuals.head(static_cast<Eigen::Index>(train.size())).squaredNorm() /
                                   static_cast<double>(train.size()));
  if (n == 0) return result;

  // The roofline's max() leaves plateaus where a parameter hides behind the other term, so
  // one descent can stop short: start from the profile's values, the middle of every range,
  // and points spread over the ranges (a Halton sequence: deterministic), keep the lowest cost.
  std::vector<Eigen::VectorXd> starts{f.start, Eigen::VectorXd::Zero(n)};
  for (int s = 1; s <= options_.extra_starts; ++s) {
    Eigen::VectorXd z(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double u = halton(s, kPrimes[static_cast<std::size_t>(i) % std::size(kPrimes)]);
      z[i] = 3.0 * (2.0 * u - 1.0);
    }
    starts.push_back(z);
  }
  double best_cost = INFINITY;
  Eigen::VectorXd best_z;
  auto descend = [&](Eigen::VectorXd z) {
    Eigen::NumericalDiff<Residuals> diff(f);
    Eigen::LevenbergMarquardt<Eigen::NumericalDiff<Residuals>, double> lm(diff);
    lm.parameters.maxfev = options_.max_evaluations;
    lm.parameters.xtol = 1e-10;
    lm.parameters.ftol = 1e-12;
    const int status = lm.minimize(z);
    f(z, residuals);
    const double cost = residuals.squaredNorm();
    result.evaluations += static_cast<int>(lm.nfev);
    if (cost < best_cost) {
      best_cost = cost;
      best_z = z;
      result.values = f.values_at(z);
      result.status = status;
      // The error itself, not its robust transform.
      double sum = 0;
      for (const auto* c : train) sum += std::pow(std::log(predict(*c, result.values) / c->measured_s), 2);
      result.rms_log_error = std::sqrt(sum / static_cast<double>(train.size()));
    }
  };
  for (const auto& z0 : starts) descend(z0);
  // Multi-start moves every coordinate at once, so a parameter on a plateau (a per-format
  // dequantisation cost hidden behind the bandwidth term until it is 3-5x its start) is only
  // freed when one start happens to suit all the others too. Scan each coordinate alone
  // across its range from the best point and descend again from any scan point that is lower.
  for (int pass = 0; pass < options_.plateau_scans && best_z.size() == n; ++pass) {
    Eigen::VectorXd scan = best_z;
    double scan_cost = best_cost;
    for (Eigen::Index i = 0; i < n; ++i) {
      for (double zi = -4.0; zi <= 4.0; zi += 1.0) {
        Eigen::VectorXd z = scan;
        z[i] = zi;
        f(z, residuals);
        ++result.evaluations;
        if (residuals.squaredNorm() < scan_cost) {
          scan_cost = residuals.squaredNorm();
          scan = z;
        }
      }
    }
    if (scan_cost >= best_cost) break;
    const double before = best_cost;
    descend(scan);
    if (best_cost >= before) break;
  }
  // At the solution, a parameter the data no longer responds to was not determined by it
  // (a bandwidth that only mattered half-way): it goes back to its start value.
  const std::vector<double> start = start_values();
  for (std::size_t j = 0; j < parameters_.size(); ++j) {
    if (result.identified[j] && !responds(train, result.values, j, result.values[j])) {
      result.identified[j] = false;
      result.values[j] = start[j];
    }
  }
  return result;
}

bool EfficiencyFit::responds(const std::vector<const PredictionCase*>& train, const std::vector<double>& values,
                             std::size_t j, double value) const {
  constexpr double kResponse = 0.02;
  const FitParameter& p = parameters_[j];
  std::vector<double> at = values, moved = values;
  at[j] = std::clamp(value, p.lower, p.upper);
  moved[j] = at[j] * 2 <= p.upper ? at[j] * 2 : at[j] / 2;
  if (moved[j] < p.lower) return false;
  for (const auto* c : train) {
    if (std::abs(std::log(predict(*c, moved) / predict(*c, at))) >= kResponse) return true;
  }
  return false;
}

}  // namespace llmsim::validate
