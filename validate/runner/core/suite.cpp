#include "validate/runner/core/suite.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <functional>

#include "common/name_listing.hpp"
#include "common/yaml_fields.hpp"
#include "validate/proto/kernel_class_names.hpp"
#include "validate/runner/core/backend_registry.hpp"
#include "validate/runner/core/size_text.hpp"

namespace llmsim::bench {

using measurements::KernelClass;

namespace {

constexpr double kMaxSize = 64.0 * 1024 * 1024 * 1024;  // 64 GiB: beyond any machine this runs on

std::int64_t one_value(YamlFields& fields, const YAML::Node& node, const std::string& key, bool is_size) {
  if (!node.IsScalar()) throw fields.error_at(node, key, "must be a number or a list of numbers");
  const std::string text = node.as<std::string>();
  std::optional<std::int64_t> value;
  if (is_size) {
    value = parse_size(text);
  } else if (!text.empty() && text.size() < 12 && text.find_first_not_of("0123456789") == std::string::npos) {
    value = std::stoll(text);
  }
  if (!value || *value < 0 || static_cast<double>(*value) > kMaxSize) {
    throw fields.error_at(node, key,
                          is_size ? fmt::format("must be a size like 4096, 4KiB, 64MiB or 1GiB, got '{}'", text)
                                  : fmt::format("must be a non-negative integer, got '{}'", text));
  }
  return *value;
}

// key: 4 | [1, 2, 4] | {from: 4KiB, to: 1GiB, factor: 4}
std::vector<std::int64_t> values(YamlFields& fields, const std::string& key, std::vector<std::int64_t> fallback,
                                 bool is_size = false) {
  auto node = fields.optional(key);
  if (!node) {
    if (fallback.empty()) throw fields.error(key, "is required for this kernel");
    return fallback;
  }
  std::vector<std::int64_t> out;
  if (node->IsSequence()) {
    for (const auto& item : *node) out.push_back(one_value(fields, item, key, is_size));
  } else if (node->IsMap()) {
    YamlFields sweep(*node, fields.file(), fields.child_path(key));
    const std::int64_t from = one_value(sweep, sweep.required("from"), "from", is_size);
    const std::int64_t to = one_value(sweep, sweep.required("to"), "to", is_size);
    const double factor = sweep.required_number("factor", 1.01, 1024);
    sweep.finish();
    if (from < 1 || to < from) throw fields.error(key, "sweep needs 1 <= from <= to");
    for (double v = static_cast<double>(from); v <= static_cast<double>(to) * 1.0000001; v *= factor) {
      out.push_back(static_cast<std::int64_t>(v + 0.5));
    }
  } else {
    out.push_back(one_value(fields, *node, key, is_size));
  }
  if (out.empty()) throw fields.error(key, "must not be an empty list");
  return out;
}

std::vector<std::string> strings(YamlFields& fields, const std::string& key, std::vector<std::string> fallback,
                                 const std::vector<std::string>& allowed) {
  auto node = fields.optional(key);
  if (!node) return fallback;
  std::vector<std::string> out;
  auto take = [&](const YAML::Node& item) {
    if (!item.IsScalar()) throw fields.error_at(item, key, "must be a name or a list of names");
    const std::string name = item.as<std::string>();
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      throw fields.error_at(item, key, fmt::format("unknown '{}'; known: {}", name, join_names(allowed)));
    }
    out.push_back(name);
  };
  if (node->IsSequence()) {
    for (const auto& item : *node) take(item);
  } else {
    take(*node);
  }
  if (out.empty()) throw fields.error(key, "must not be an empty list");
  return out;
}

TimingPolicy read_timing(YamlFields& parent, TimingPolicy policy) {
  auto node = parent.optional("timing");
  if (!node) return policy;
  YamlFields t(*node, parent.file(), parent.child_path("timing"));
  policy.warmup_s = t.optional_number("warmup_s", policy.warmup_s, 0, 60);
  policy.min_samples = static_cast<int>(t.optional_integer("min_samples", policy.min_samples, 1, 100000));
  policy.max_samples = static_cast<int>(t.optional_integer("max_samples", policy.max_samples, 1, 1000000));
  policy.max_time_s = t.optional_number("max_time_s", policy.max_time_s, 0.001, 3600);
  policy.min_sample_s = t.optional_number("min_sample_s", policy.min_sample_s, 0, 10);
  policy.stable_tolerance = t.optional_number("stable_tolerance", policy.stable_tolerance, 0, 1);
  policy.min_time_s = t.optional_number("min_time_s", policy.min_time_s, 0, 3600);
  t.finish();
  if (policy.max_samples < policy.min_samples) throw t.error("max_samples", "must be >= min_samples");
  if (policy.min_time_s > policy.max_time_s) throw t.error("min_time_s", "must be <= max_time_s");
  return policy;
}

// Every combination of the listed values, each applied to a copy of the spec.
using Axis = std::pair<std::vector<std::int64_t>, std::function<void(KernelSpec&, std::int64_t)>>;

void expand(const KernelSpec& base, const std::vector<Axis>& axes, std::size_t level, std::vector<KernelSpec>& out) {
  if (level == axes.size()) {
    out.push_back(base);
    return;
  }
  for (std::int64_t v : axes[level].first) {
    KernelSpec s = base;
    axes[level].second(s, v);
    expand(s, axes, level + 1, out);
  }
}

std::vector<KernelSpec> read_shapes(YamlFields& f, KernelClass kernel, KernelSpec base) {
  std::vector<Axis> axes;
  auto axis = [&](const std::string& key, std::vector<std::int64_t> fallback, auto setter, bool is_size = false) {
    axes.emplace_back(values(f, key, std::move(fallback), is_size), setter);
  };
  switch (kernel) {
    case measurements::KERNEL_CLASS_COPY:
    case measurements::KERNEL_CLASS_TRIAD:
      axis("bytes", {}, [](KernelSpec& s, std::int64_t v) { s.bytes = v; }, true);
      break;
    case measurements::KERNEL_CLASS_GEMM:
      axis("m", {}, [](KernelSpec& s, std::int64_t v) { s.m = v; });
      [[fallthrough]];
    case measurements::KERNEL_CLASS_GEMV:
      if (kernel == measurements::KERNEL_CLASS_GEMV) base.m = 1;
      axis("n", {}, [](KernelSpec& s, std::int64_t v) { s.n = v; });
      axis("k", {}, [](KernelSpec& s, std::int64_t v) { s.k = v; });
      break;
    case measurements::KERNEL_CLASS_ATTENTION_DECODE:
      axis("heads", {}, [](KernelSpec& s, std::int64_t v) { s.heads = v; });
      axis("kv_heads", {0}, [](KernelSpec& s, std::int64_t v) { s.kv_heads = v; });
      axis("head_dim", {}, [](KernelSpec& s, std::int64_t v) { s.head_dim = v; });
      axis("context", {}, [](KernelSpec& s, std::int64_t v) { s.context = v; });
      break;
    case measurements::KERNEL_CLASS_RMSNORM:
      axis("m", {1}, [](KernelSpec& s, std::int64_t v) { s.m = v; });
      axis("n", {}, [](KernelSpec& s, std::int64_t v) { s.n = v; });
      break;
    case measurements::KERNEL_CLASS_SILU:
    case measurements::KERNEL_CLASS_GELU:
      axis("elements", {}, [](KernelSpec& s, std::int64_t v) { s.elements = v; });
      break;
    case measurements::KERNEL_CLASS_DECODE_STEP:
      base.model = f.required_string("model");
      axis("context", {}, [](KernelSpec& s, std::int64_t v) { s.context = v; });
      break;
    default:
      break;
  }
  axis("threads", {0}, [](KernelSpec& s, std::int64_t v) { s.threads = static_cast<int>(v); });
  std::vector<KernelSpec> out;
  expand(base, axes, 0, out);
  return out;
}

void check_shape(YamlFields& f, const KernelSpec& s) {
  const bool blocks = s.dtype == "q8_0" || s.dtype == "q4_0";
  if (blocks && s.k % 32 != 0) throw f.error("k", fmt::format("must be a multiple of 32 for {} blocks", s.dtype));
  if (s.kernel == measurements::KERNEL_CLASS_ATTENTION_DECODE) {
    const std::int64_t kv = s.kv_heads == 0 ? s.heads : s.kv_heads;
    if (kv < 1 || s.heads % kv != 0) throw f.error("kv_heads", "must divide heads");
  }
  const bool empty = (s.kernel == measurements::KERNEL_CLASS_GEMM && (s.m < 1 || s.n < 1 || s.k < 1)) ||
                     (s.kernel == measurements::KERNEL_CLASS_GEMV && (s.n < 1 || s.k < 1)) ||
                     ((s.kernel == measurements::KERNEL_CLASS_SILU || s.kernel == measurements::KERNEL_CLASS_GELU) &&
                      s.elements < 1) ||
                     (s.kernel == measurements::KERNEL_CLASS_RMSNORM && (s.m < 1 || s.n < 1)) ||
                     (s.kernel == measurements::KERNEL_CLASS_ATTENTION_DECODE &&
                      (s.heads < 1 || s.head_dim < 1 || s.context < 1)) ||
                     ((s.kernel == measurements::KERNEL_CLASS_COPY || s.kernel == measurements::KERNEL_CLASS_TRIAD) &&
                      s.bytes < 64);
  if (empty) throw f.error("kernel", "has an empty shape: sizes must be >= 1 (streaming kernels: bytes >= 64)");
}

}  // namespace

const std::vector<std::string>& known_dtypes() {
  static const std::vector<std::string> dtypes = {"f32", "tf32", "f16", "bf16", "fp8", "q8_0", "q4_0"};
  return dtypes;
}

bool SuiteCase::runs_on(const std::string& backend) const {
  return backends.empty() || std::find(backends.begin(), backends.end(), backend) != backends.end();
}

Suite load_suite(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  YamlFields top(root, path, "");
  Suite suite;
  suite.file = path;
  suite.name = top.required_string("name");
  suite.description = top.optional_string("description", "");
  const TimingPolicy timing = read_timing(top, TimingPolicy{});
  const YAML::Node cases = top.required("cases");
  top.finish();
  if (!cases.IsSequence() || cases.size() == 0) {
    throw top.error_at(cases, "cases", "must be a non-empty list of cases");
  }
  std::vector<std::string> allowed_backends = backend_names();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    YamlFields f(cases[i], path, fmt::format("cases[{}]", i));
    const std::string kernel_text = f.required_string("kernel");
    const auto kernel = measurements::kernel_class_from_name(kernel_text);
    if (!kernel || *kernel == measurements::KERNEL_CLASS_OP || *kernel == measurements::KERNEL_CLASS_PREFILL_STEP) {
      throw f.error("kernel", fmt::format("unknown kernel '{}'; known: copy, triad, gemm, gemv, attention_decode, "
                                          "rmsnorm, silu, gelu, decode_step",
                                          kernel_text));
    }
    SuiteCase proto_case;
    proto_case.backends = strings(f, "backends", {}, allowed_backends);
    proto_case.timing = read_timing(f, timing);
    KernelSpec base;
    base.kernel = *kernel;
    const auto dtypes = strings(f, "dtype", {"f32"}, known_dtypes());
    base.impl = f.optional_string("impl", "");
    if (!base.impl.empty()) {
      if (*kernel != measurements::KERNEL_CLASS_GEMV || dtypes != std::vector<std::string>{"f32"}) {
        throw f.error("impl", "chooses the f32 gemv kernel only (dtype: f32)");
      }
      if (base.impl != "blas" && base.impl != "rows") {
        throw f.error("impl", fmt::format("must be blas (cblas_sgemv) or rows (the step's row-by-row dot), got '{}'",
                                          base.impl));
      }
      if (base.impl == "blas") base.impl.clear();  // the default: same id as before the key existed
    }
    for (const std::string& dtype : dtypes) {
      base.dtype = dtype;
      for (KernelSpec& spec : read_shapes(f, *kernel, base)) {
        check_shape(f, spec);
        SuiteCase c = proto_case;
        c.spec = spec;
        suite.cases.push_back(std::move(c));
      }
    }
    f.finish();
  }
  return suite;
}

}  // namespace llmsim::bench
