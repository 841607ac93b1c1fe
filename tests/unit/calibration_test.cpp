// Calibration and validation (validate/): the fast step evaluation against the simulator,
// fits that recover known parameters from synthetic measurements, the roofline ceiling,
// and the errors bad measurement files get.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <google/protobuf/util/delimited_message_util.h>

#include <cmath>
#include <fstream>
#include <random>

#include "fresh_process.hpp"
#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "hwmodels/memory_kinds.hpp"
#include "sim/predictor.hpp"
#include "test_paths.hpp"
#include "validate/calibration/calibration_writer.hpp"
#include "validate/calibration/cross_validation.hpp"
#include "validate/calibration/efficiency_fit.hpp"
#include "validate/calibration/error_summary.hpp"
#include "validate/calibration/local_system.hpp"
#include "validate/calibration/profile_calibration.hpp"
#include "validate/prediction/case_evaluator.hpp"
#include "validate/prediction/kernel_op_builder.hpp"
#include "validate/prediction/record_selection.hpp"
#include "validate/prediction/step_case_builder.hpp"
#include "validate/proto/measurement_reader.hpp"
#include "validate/proto/schema_version.hpp"

using namespace llmsim;
using Catch::Matchers::Contains;

namespace {

const sim::DataPaths kPaths(test::source_dir());

// A device of the catalog as the timing model sees it under a profile.
struct Device {
  hwmodels::System system;
  hwmodels::SoftwareProfile profile;
  hwmodels::MemoryKinds kinds;
  sim::DeviceModel model;
  Device(const std::string& hardware, const std::string& device, const std::string& software)
      : system(hwmodels::Catalog(kPaths.catalog()).load(hardware)),
        profile(hwmodels::ProfileSet(kPaths.profiles()).load(software)),
        kinds(hwmodels::MemoryKinds::load(kPaths.memory_kinds())),
        model(sim::make_device_model(system, *system.find_device(device), profile, kinds)) {}
};

workloads::Op stream_op(double bytes) {
  workloads::Op op;
  op.name = "copy";
  op.act_read_bytes = bytes / 2;
  op.act_write_bytes = bytes / 2;
  return op;
}

workloads::Op gemm_op(double m, double n, double k) {
  workloads::Op op;
  op.name = "gemm";
  op.kind = workloads::OpKind::matmul;
  op.m = m;
  op.n = n;
  op.k = k;
  op.flops = 2 * m * n * k;
  op.weight_elements = n * k;
  op.weight_format = "f32";
  op.weight_family = "float32";
  op.weight_bytes = 4 * n * k;
  op.act_read_bytes = 4 * m * k;
  op.act_write_bytes = 4 * m * n;
  return op;
}

workloads::Op elementwise_op(double elements, double ops_per_element) {
  workloads::Op op;
  op.name = "silu";
  op.vector_ops = elements * ops_per_element;
  op.act_read_bytes = 4 * elements;
  op.act_write_bytes = 4 * elements;
  return op;
}

// Kernels of every kind the CPU fit uses: streams from 4 KiB to 1 GiB, GEMMs from M = 1 to
// 512 (BLAS calls), GEMVs, element-wise kernels.
std::vector<validate::PredictionCase> synthetic_kernels() {
  std::vector<validate::PredictionCase> cases;
  auto add = [&](const std::string& cls, workloads::Op op, bool stream, bool blas) {
    validate::PredictionCase c;
    c.id = cls + std::to_string(cases.size());
    c.kernel_class = cls;
    c.shape_key = c.id;
    if (blas) op.kernel_path = workloads::KernelPath::matrix;  // a BLAS call: matrix units at any M
    c.ops.push_back(validate::WeightedOp{op, 1.0, stream, ""});
    cases.push_back(c);
  };
  for (double bytes : {4096.0, 65536.0, 64e6, 256e6, 1e9}) add("copy", stream_op(bytes), true, false);
  for (double m : {1.0, 2.0, 8.0, 16.0, 64.0, 128.0, 512.0}) add("gemm", gemm_op(m, 4096, 4096), false, true);
  for (double n : {4096.0, 8192.0, 14336.0}) add("gemv", gemm_op(1, n, 4096), false, false);
  for (double e : {1e6, 16e6}) add("silu", elementwise_op(e, 40), false, false);
  return cases;
}

std::vector<validate::FitParameter> cpu_parameters(const sim::DeviceModel& d) {
  std::vector<validate::FitParameter> p;
  for (const char* name : {"bandwidth_gbs", "memory.kernel_fraction", "launch_overhead_us", "matmul.max_fraction",
                           "matmul.half_m", "vector_fraction"}) {
    p.push_back(validate::make_fit_parameter(name, d));
  }
  return p;
}

std::string write_records(const std::string& name, const std::vector<measurements::Measurement>& records) {
  const std::string path = test::write_temp(name, "");
  std::ofstream out(path, std::ios::binary);
  for (const auto& r : records) google::protobuf::util::SerializeDelimitedToOstream(r, &out);
  return path;
}

measurements::Measurement cpu_record(const std::string& hardware_id, const std::string& device_name) {
  measurements::Measurement r;
  r.set_schema_version(measurements::kSchemaVersion);
  r.set_id("cpu/copy/f32/bytes=1GiB/t=1");
  r.set_kernel(measurements::KERNEL_CLASS_COPY);
  r.set_dtype("f32");
  r.mutable_shape()->set_bytes(1 << 30);
  r.mutable_work()->set_bytes_read(1 << 29);
  r.mutable_work()->set_bytes_written(1 << 29);
  r.mutable_work()->set_bytes_moved(1 << 30);
  r.mutable_timing()->set_median_s(0.05);
  r.mutable_timing()->set_min_s(0.05);
  r.mutable_execution()->set_backend("cpu");
  r.mutable_execution()->set_threads(2);
  r.mutable_execution()->set_software("llmsim-bench");
  auto* d = r.mutable_device();
  d->set_name(device_name);
  d->set_kind("cpu");
  d->set_compute_units(4);
  d->set_clock_mhz(3000);
  d->set_memory_bytes(16LL << 30);
  d->set_l3_bytes(16 << 20);
  d->set_isa_features("sse4.2 avx avx2 fma");
  d->set_hardware_id(hardware_id);
  r.mutable_provenance()->set_origin(measurements::ORIGIN_RUNNER);
  return r;
}

// Every parameter of a fit to synthetic measurements is identified and within `epsilon` of
// the truth that made them.
void check_recovered(const std::vector<validate::FitParameter>& parameters, const validate::FitResult& result,
                     const std::vector<double>& truth, double epsilon) {
  for (std::size_t j = 0; j < truth.size(); ++j) {
    INFO(parameters[j].name << ": fitted " << result.values[j] << ", truth " << truth[j]);
    CHECK(result.identified[j]);
    CHECK(result.values[j] == Approx(truth[j]).epsilon(epsilon));
  }
}

}  // namespace

TEST_CASE("the fast step evaluation takes what the simulator takes", "[validate][calibration]") {
  // llama.cpp runs one op at a time on one device, so a step lasts the sum of its ops'
  // rooflines; a tg run averages its steps and a pp run sums its chunks.
  // Batch 16 of q4_k_m runs the quantised (MMQ) kernels on CUDA: calibration once lowered it
  // as dequantise + GEMM while predict did not, which this row would have caught.
  struct Row {
    const char* hardware;
    const char* model;
    const char* dtype;
    int64_t prompt, gen, batch = 1;
  };
  for (const Row row : {Row{"rtx-4090", "llama-3-8b", "q4_k_m", 0, 16}, Row{"apple-m2-ultra", "llama-3-8b", "f16", 0, 8},
                        Row{"rtx-4090", "llama-3-8b", "q4_k_m", 1100, 0}, Row{"rtx-4090", "llama-3-8b", "q4_k_m", 0, 4, 16}}) {
    const auto simulated = test::in_fresh_process([&] {
      sim::PredictRequest r;
      r.hardware = row.hardware;
      r.model = row.model;
      r.dtype = row.dtype;
      r.prompt = row.prompt;
      r.gen = row.gen;
      r.batch = row.batch;
      const auto p = sim::Predictor(kPaths).predict(r);
      return std::vector<double>{row.gen > 0 ? p.tpot_s : p.prefill.seconds};
    });
    Device device(row.hardware, "gpu", "llama.cpp");
    const auto formats = workloads::FormatTable::load(kPaths.formats());
    validate::StepCaseBuilder steps(kPaths, formats);
    validate::StepSpec spec{row.model, row.dtype, "f16", row.batch, row.prompt, row.gen, row.gen > 0};
    validate::PredictionCase c;
    c.ops = steps.step_ops(spec, device.model, device.profile);
    const double fast = validate::predict_seconds(c, device.model, validate::parameters_of(device.model));
    INFO(row.hardware << " " << row.dtype << " pp" << row.prompt << " tg" << row.gen << " batch " << row.batch);
    CHECK(fast == Approx(simulated[0]).epsilon(1e-6));
  }
}

TEST_CASE("the fit recovers known parameters from noisy synthetic measurements", "[validate][calibration]") {
  // Measurements made by the model itself with known parameters, times 3% log-normal noise.
  Device device("ddr5-desktop-8t", "cpu", "llmsim-bench");
  validate::DeviceTable table{{device.model}, {device.system.find_device("cpu")->profile_class()}};
  const auto parameters = cpu_parameters(device.model);
  const validate::EfficiencyFit fit(table, parameters);
  const std::vector<double> truth{55.0, 0.8, 4.0, 0.45, 24.0, 0.05};  // GB/s, -, us, -, rows, -
  auto cases = synthetic_kernels();
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, 0.03);
  for (auto& c : cases) c.measured_s = fit.predict(c, truth) * std::exp(noise(rng));
  std::vector<const validate::PredictionCase*> train;
  for (const auto& c : cases) train.push_back(&c);

  const auto result = fit.fit(train);
  check_recovered(parameters, result, truth, 0.15);
  CHECK(result.rms_log_error < 0.05);

  // Held out by shape, each kernel is predicted within a few times the noise.
  const auto held = validate::cross_validate(fit, train, [](const auto& c) { return c.shape_key; }, 5);
  std::vector<validate::ComparedFigure> figures;
  for (const auto& h : held) figures.push_back({h.c->id, h.c->kernel_class, h.c->measured_s, h.predicted_s});
  CHECK(validate::error_stats(figures).median_abs < 0.06);
}

TEST_CASE("the fit recovers the cost of a transcendental function apart from plain vector work",
          "[validate][calibration]") {
  // Truth: exp costs 450 ops of the f32 peak, tanh 2000, plain element-wise work runs at 30%
  // of the peak. One RMSNorm-like kernel without transcendentals, one SiLU (exp), one GELU
  // (tanh), each at two sizes, 2% noise: the three costs are told apart.
  Device device("ddr5-desktop-8t", "cpu", "llmsim-bench");
  validate::DeviceTable table{{device.model}, {"cpu-generic"}};
  std::vector<validate::FitParameter> parameters;
  for (const char* name : {"vector_fraction", "transcendental_ops.exp", "transcendental_ops.tanh"}) {
    parameters.push_back(validate::make_fit_parameter(name, device.model));
  }
  const validate::EfficiencyFit fit(table, parameters);
  const std::vector<double> truth{0.3, 450.0, 2000.0};
  std::vector<validate::PredictionCase> cases;
  for (const char* fn : {"", "exp", "tanh"}) {
    for (double elements : {4e6, 16e6}) {
      workloads::Op op = elementwise_op(elements, 200);  // compute-bound: the ops are what is measured
      op.transcendental_fn = fn;
      op.transcendentals = op.transcendental_fn.empty() ? 0.0 : elements;
      validate::PredictionCase c;
      c.id = fmt::format("{}-{}", fn, elements);
      c.shape_key = c.id;
      c.ops.push_back(validate::WeightedOp{op, 1.0, false, ""});
      cases.push_back(c);
    }
  }
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0.0, 0.02);
  std::vector<const validate::PredictionCase*> train;
  for (auto& c : cases) {
    c.measured_s = fit.predict(c, truth) * std::exp(noise(rng));
    train.push_back(&c);
  }
  const auto result = fit.fit(train);
  check_recovered(parameters, result, truth, 0.1);
}

TEST_CASE("a per-format cost hidden behind the bandwidth at its start value is still found",
          "[validate][calibration]") {
  // An f16 GEMV whose conversion cost makes it compute-bound, while the start value (1 op per
  // weight) leaves it memory-bound: moving the cost a little changes nothing, the plateau of
  // the roofline's max(). Streams and f32 GEMVs pin the bandwidth; the f16 cost is found only
  // by a start or scan off the plateau. With three parameters the middle-of-range start
  // already finds it; on the CI host's 15-parameter fit only the one-coordinate scan did
  // (docs/calibration.md, 2026-12-07), which this small case cannot show.
  Device device("ddr5-desktop-8t", "cpu", "llmsim-bench");
  sim::DeviceModel model = device.model;
  model.efficiency.matmul.vector_fraction = 0.08;  // a slow dot, so that a conversion cost can show
  validate::DeviceTable table{{model}, {"cpu-generic"}};
  std::vector<validate::FitParameter> parameters;
  for (const char* name : {"bandwidth_gbs", "memory.kernel_fraction", "dequant_ops_per_weight.f16"}) {
    parameters.push_back(validate::make_fit_parameter(name, device.model));
  }
  validate::FitOptions options;
  options.plateau_scans = 2;  // as `llmsim calibrate` fits one device
  const validate::EfficiencyFit fit(table, parameters, options);
  REQUIRE(fit.start_values()[2] == 1.0);
  std::vector<validate::PredictionCase> cases;
  auto add = [&](workloads::Op op, bool stream) {
    validate::PredictionCase c;
    c.id = fmt::format("case{}", cases.size());
    c.shape_key = c.id;
    c.ops.push_back(validate::WeightedOp{op, 1.0, stream, ""});
    cases.push_back(c);
  };
  for (double bytes : {256e6, 1e9}) add(stream_op(bytes), true);
  for (double n : {4096.0, 14336.0}) add(gemm_op(1, n, 4096), false);
  for (double n : {4096.0, 14336.0}) {
    workloads::Op op = gemm_op(1, n, 4096);
    op.weight_format = "f16";
    op.weight_family = "float16";
    op.weight_bytes = 2 * n * 4096;
    add(op, false);
  }
  // The truth: 20 GB/s, kernel fraction 0.9, and the smallest f16 cost of 2^i ops per weight
  // that makes the f16 GEMV at least 1.5x slower than its memory time (stated below).
  std::vector<double> truth{20.0, 0.9, 1.0};
  const double memory_bound = fit.predict(cases[4], truth);
  REQUIRE(fit.predict(cases[4], {20.0, 0.9, 0.5}) == Approx(memory_bound));  // 1.0 is on the plateau
  while (fit.predict(cases[4], truth) < 1.5 * memory_bound) truth[2] *= 2;
  INFO("f16 cost in truth: " << truth[2] << " ops per weight");
  REQUIRE(truth[2] <= 32);
  std::vector<const validate::PredictionCase*> train;
  for (auto& c : cases) {
    c.measured_s = fit.predict(c, truth);
    train.push_back(&c);
  }
  const auto result = fit.fit(train);
  check_recovered(parameters, result, truth, 0.05);
}

TEST_CASE("SiLU, GELU and attention records evaluate their functions once per element or score",
          "[validate][calibration]") {
  const auto formats = workloads::FormatTable::load(kPaths.formats());
  const validate::KernelOpBuilder builder(formats);
  auto record = cpu_record("local", "Test CPU");
  record.set_kernel(measurements::KERNEL_CLASS_GELU);
  record.mutable_shape()->set_elements(1000);
  record.mutable_work()->set_flops(8000);
  record.mutable_work()->set_bytes_read(4000);
  record.mutable_work()->set_bytes_written(4000);
  std::string why_not;
  auto gelu = builder.build(record, why_not);
  REQUIRE(gelu);
  CHECK(gelu->op.transcendentals == 1000);
  CHECK(gelu->op.transcendental_fn == "tanh");
  CHECK(gelu->op.vector_ops == 8000);
  record.set_kernel(measurements::KERNEL_CLASS_SILU);
  auto silu = builder.build(record, why_not);
  REQUIRE(silu);
  CHECK(silu->op.transcendental_fn == "exp");

  // 32 heads x batch 2 over 512 keys: 32,768 exps.
  record.set_kernel(measurements::KERNEL_CLASS_ATTENTION_DECODE);
  auto* s = record.mutable_shape();
  s->set_heads(32), s->set_kv_heads(8), s->set_head_dim(128), s->set_context(512), s->set_batch(2);
  record.mutable_work()->set_flops(4.0 * 32 * 128 * 512 * 2 + 5.0 * 32 * 512 * 2);
  record.mutable_work()->set_bytes_read(2.0 * 512 * 8 * 128 * 4 * 2);
  auto attention = builder.build(record, why_not);
  REQUIRE(attention);
  CHECK(attention->op.transcendentals == 32.0 * 512 * 2);
  CHECK(attention->op.transcendental_fn == "exp");
}

TEST_CASE("a parameter no measurement responds to keeps its start value", "[validate][calibration]") {
  // Only gigabyte copies: nothing says anything about GEMMs or the microsecond launch.
  Device device("ddr5-desktop-8t", "cpu", "llmsim-bench");
  validate::DeviceTable table{{device.model}, {"cpu-generic"}};
  const auto parameters = cpu_parameters(device.model);
  const validate::EfficiencyFit fit(table, parameters);
  const auto start = fit.start_values();
  std::vector<validate::PredictionCase> cases;
  for (double bytes : {256e6, 1e9}) {
    validate::PredictionCase c;
    c.ops.push_back({stream_op(bytes), 1.0, true, ""});
    c.measured_s = bytes / 30e9;
    cases.push_back(c);
  }
  const auto result = fit.fit({&cases[0], &cases[1]});
  CHECK(result.identified[0]);
  CHECK(result.values[0] == Approx(30.0).epsilon(0.02));
  for (std::size_t j = 1; j < parameters.size(); ++j) {
    INFO(parameters[j].name);
    CHECK_FALSE(result.identified[j]);
    CHECK(result.values[j] == start[j]);
  }
}

TEST_CASE("calibration never predicts faster than the roofline ceiling", "[validate][calibration]") {
  // Measurements 3x faster than the datasheet allows: the fit goes to the edges of its ranges
  // (efficiency 1, bandwidth = peak) and stops there.
  Device device("ddr5-desktop-8t", "cpu", "llmsim-bench");
  validate::DeviceTable table{{device.model}, {"cpu-generic"}};
  const auto parameters = cpu_parameters(device.model);
  const validate::EfficiencyFit fit(table, parameters);
  auto cases = synthetic_kernels();
  std::vector<const validate::PredictionCase*> train;
  for (auto& c : cases) {
    c.measured_s = validate::roofline_floor_seconds(c, device.model) / 3.0;
    train.push_back(&c);
  }
  const auto result = fit.fit(train);
  for (std::size_t j = 0; j < parameters.size(); ++j) {
    CHECK(result.values[j] <= parameters[j].upper);
    CHECK(result.values[j] >= parameters[j].lower);
  }
  CHECK(result.values[0] <= device.model.memory->bandwidth_gbs.value);
  const auto fitted = fit.apply(0, result.values);
  CHECK(fitted.efficiency.matmul.max_fraction <= 1.0);
  CHECK(fitted.efficiency.memory.kernel_fraction <= 1.0);
  for (const auto& t : fitted.efficiency.matmul.tiles) CHECK(t.fraction <= 1.0);
  for (const auto& c : cases) {
    INFO(c.id);
    CHECK(fit.predict(c, result.values) >= validate::roofline_floor_seconds(c, device.model) * (1 - 1e-12));
  }
}

TEST_CASE("a calibrated system file loads and predicts with the fit", "[validate][calibration]") {
  Device device("rtx-4090", "gpu", "pytorch");
  validate::CalibrationOutput out;
  out.device = "gpu";
  out.software = "pytorch";
  out.efficiency = {{"matmul.max_fraction", 0.9656},
                    {"launch_overhead_us", 7.5},
                    {"matmul.half_m", 16},
                    {"transcendental_ops.tanh", 1800}};
  out.bandwidth_gbs = 924;
  out.tile_n = 128;
  out.basis = "fitted in a test";
  out.provenance["base_system"] = "rtx-4090";
  out.provenance["measurements"] = "kernels.pb";
  out.provenance["sha256"] = "00";
  out.provenance["records"] = 3;
  out.provenance["calibrated_at"] = "2026-11-22";
  const std::string path = test::write_temp("rtx-4090-fitted.yaml", validate::calibrated_system_yaml(device.system, out,
                                                                                                    "rtx-4090-fitted"));
  const auto system = hwmodels::Catalog(kPaths.catalog()).load(path);
  CHECK(system.id == "rtx-4090-fitted");
  CHECK(system.find_memory("vram")->measured_bandwidth_gbs->value == 924);
  const auto model = sim::make_device_model(system, *system.find_device("gpu"), device.profile, device.kinds);
  CHECK(model.efficiency.matmul.max_fraction == Approx(0.9656));
  CHECK(model.efficiency.launch_overhead_us == Approx(7.5));
  CHECK(model.efficiency.transcendental_ops.at("tanh") == Approx(1800));
  CHECK(model.efficiency.matmul.tiles.size() == 11);
  CHECK(model.efficiency.matmul.tiles.back().fraction == 1.0);
  CHECK(model.achievable_bytes_per_s == 924e9);
  CHECK_THAT(model.efficiency.basis, Contains("calibrated"));
  CHECK(validate::system_aliases(system) == std::vector<std::string>{"rtx-4090-fitted", "rtx-4090"});
}

TEST_CASE("a local system is described from the runner's records", "[validate][calibration]") {
  auto r = cpu_record("local", "Test CPU");
  validate::LocalSystemOptions options;
  options.source_file = "cpu.pb";
  const std::string path = test::write_temp("local.yaml", validate::local_system_yaml({r}, options));
  const auto system = hwmodels::Catalog(kPaths.catalog()).load(path);
  const auto& cpu = *system.find_device("cpu");
  CHECK(cpu.compute_units.value == 2);                         // the threads the records used
  CHECK(cpu.peak_tflops.at("f32").value == Approx(0.192));    // 2 cores x 3 GHz x 32 FLOP/cycle (AVX2 + FMA)
  CHECK(system.memories[0].measured_bandwidth_gbs->value == Approx(21.47).epsilon(1e-3));  // 2^30 B / 0.05 s
  CHECK(validate::fp32_flops_per_cycle("sse4.2 avx avx2 fma avx512f") == 64);
  CHECK(validate::fp32_flops_per_cycle("sse4.2") == 8);
  // No DRAM-sized stream: nothing to take the bandwidth from.
  r.mutable_shape()->set_bytes(4096);
  r.mutable_work()->set_bytes_moved(4096);
  CHECK_THROWS_WITH(validate::local_system_yaml({r}, options), Contains("no copy or triad record larger than"));
}

TEST_CASE("bad measurement files get clear errors", "[validate][calibration]") {
  CHECK_THROWS_WITH(measurements::read_measurements(test::write_temp("empty.pb", "")),
                    Contains("empty.pb") && Contains("no measurement records"));
  CHECK_THROWS_WITH(measurements::read_measurements(test::write_temp("corrupt.pb", "\x0a\xff\xff garbage")),
                    Contains("record 1 is not a valid Measurement"));
  auto newer = cpu_record("local", "Test CPU");
  newer.set_schema_version(measurements::kSchemaVersion + 1);
  CHECK_THROWS_WITH(measurements::read_measurements(write_records("newer.pb", {newer})),
                    Contains("newer than the") && Contains("update llmsim"));

  const auto system = hwmodels::Catalog(kPaths.catalog()).load("rtx-4090");
  const auto names = validate::PublicNames::load(kPaths.root() + "/validate/data/public_names.yaml");
  const std::vector<measurements::Measurement> other{cpu_record("rtx-3090", "NVIDIA GeForce RTX 3090")};
  CHECK_THROWS_WITH(validate::select_records(other, "x.pb", system, names, {}),
                    Contains("record 1") && Contains("measured on 'rtx-3090'") && Contains("not on --hardware 'rtx-4090'"));
  const std::vector<measurements::Measurement> unlabelled{cpu_record("", "Some CPU")};
  CHECK_THROWS_WITH(validate::select_records(unlabelled, "x.pb", system, names, {}),
                    Contains("does not say which hardware") && Contains("--hardware-id rtx-4090"));
  validate::SelectionOptions skip;
  skip.skip_other_hardware = true;
  CHECK_THROWS_WITH(validate::select_records(other, "x.pb", system, names, skip), Contains("no record was measured on"));
  // An imported figure names its hardware by the published description.
  auto imported = cpu_record("", "NVIDIA GeForce RTX 4090 24GB (GDDR6X)");
  imported.mutable_provenance()->set_origin(measurements::ORIGIN_IMPORTED);
  imported.mutable_device()->set_kind("gpu");
  const auto selected = validate::select_records({imported}, "x.pb", system, names, {});
  CHECK(selected.device_ids == std::vector<std::string>{"gpu"});
}

TEST_CASE("records from a disturbed machine are left out only when asked, with a note", "[validate][calibration]") {
  const auto system = hwmodels::Catalog(kPaths.catalog()).load("rtx-4090");
  const auto names = validate::PublicNames::load(kPaths.root() + "/validate/data/public_names.yaml");
  auto clean = cpu_record("rtx-4090", "x");
  clean.mutable_device()->set_kind("gpu");  // the 4090 system's one device
  auto busy = clean;
  busy.mutable_timing()->set_background_load(0.5);
  auto drifting = clean;
  drifting.mutable_timing()->set_drift(0.3);
  auto steady_enough = clean;
  steady_enough.mutable_timing()->set_drift(0.05);
  const std::vector<measurements::Measurement> records{clean, busy, drifting, steady_enough};

  CHECK(validate::select_records(records, "x.pb", system, names, {}).records.size() == 4);
  validate::SelectionOptions strict;
  strict.max_background_load = 0.1;
  strict.max_drift = 0.1;
  const auto kept = validate::select_records(records, "x.pb", system, names, strict);
  CHECK(kept.records == std::vector<std::size_t>{0, 3});
  REQUIRE(kept.notes.size() == 1);
  CHECK(kept.notes[0] == "2 record(s) taken on a disturbed machine left out (background_load > 0.1 or drift > 0.1)");
  validate::SelectionOptions drift_only;
  drift_only.max_drift = 0.01;
  CHECK(validate::select_records(records, "x.pb", system, names, drift_only).records == std::vector<std::size_t>{0, 1});
}

TEST_CASE("error statistics are those of the rates", "[validate][calibration]") {
  // Rate error = measured time / predicted time - 1: +100%, -50%, +25%, 0%.
  const std::vector<validate::ComparedFigure> f{
      {"a", "gemm", 2.0, 1.0}, {"b", "gemm", 1.0, 2.0}, {"c", "copy", 1.25, 1.0}, {"d", "copy (in cache)", 1.0, 1.0}};
  const auto s = validate::error_stats(f);
  CHECK(s.count == 4);
  CHECK(s.median_abs == Approx(0.375));  // (0.25 + 0.5) / 2
  CHECK(s.mean_abs == Approx(0.4375));
  CHECK(s.bias == Approx(0.125));  // (0 + 0.25) / 2
  CHECK(s.worst.front().id == "a");
  const auto by_class = validate::error_stats_by_class(f, {"copy (in cache)"});
  CHECK(by_class.at("gemm").count == 2);
  CHECK(by_class.at("overall").count == 3);
}

TEST_CASE("a class's fitted value is not left shadowed by an architecture section of that class", "[calibration]") {
  // llama.cpp's cpu-generic-arm section states matmul.max_fraction and launch_overhead_us; a fit of
  // the cpu-generic class's max_fraction must reach the Arm CPUs, and only that key leaves the
  // Arm section (its launch cost, not fitted, stays).
  const auto profile = hwmodels::ProfileSet(test::source_dir() + "/hwmodels/profiles").load("llama.cpp");
  validate::ProfileCalibration fit;
  validate::FitParameter p;
  p.name = "matmul.max_fraction";
  p.scope = "cpu-generic";
  fit.parameters = {p};
  fit.values = {0.31};
  fit.identified = {true};
  const auto path = test::write_temp("llama.cpp-fitted.yaml", validate::calibrated_profile_yaml(profile, fit, "test"));
  const auto fitted = hwmodels::ProfileSet(test::source_dir() + "/hwmodels/profiles").load(path);
  const auto pi = hwmodels::Catalog(test::catalog_dir()).load("raspberry-pi-5");
  const auto e = fitted.efficiency_for(pi, *pi.first_device(hwmodels::DeviceKind::cpu));
  CHECK(e.matmul.max_fraction == Approx(0.31));
  // The Arm section's launch cost as the shipped profile states it.
  const auto shipped = profile.efficiency_for(pi, *pi.first_device(hwmodels::DeviceKind::cpu));
  REQUIRE(shipped.matmul.max_fraction != Approx(0.31));
  CHECK(e.launch_overhead_us == Approx(shipped.launch_overhead_us));
}

TEST_CASE("an architecture the profile has a section for is fitted apart from its class", "[calibration]") {
  // llama.cpp has a gpu-amd-rdna35 section: Strix Halo's 8060S (architecture rdna35) is fitted
  // and written there; the RX 7900 XTX (no architecture) is fitted with its class, gpu-amd.
  const auto profile = hwmodels::ProfileSet(test::source_dir() + "/hwmodels/profiles").load("llama.cpp");
  REQUIRE(profile.sections.count("gpu-amd-rdna35") == 1);
  const auto apu = hwmodels::Catalog(test::catalog_dir()).load("ryzen-ai-max-395");
  const auto card = hwmodels::Catalog(test::catalog_dir()).load("rx-7900-xtx");
  CHECK(profile.fit_scope(*apu.first_device(hwmodels::DeviceKind::gpu)) == "gpu-amd-rdna35");
  CHECK(profile.fit_scope(*card.first_device(hwmodels::DeviceKind::gpu)) == "gpu-amd");
  // A profile without that section fits both with the class.
  const auto vllm = hwmodels::ProfileSet(test::source_dir() + "/hwmodels/profiles").load("vllm");
  CHECK(vllm.fit_scope(*apu.first_device(hwmodels::DeviceKind::gpu)) == "gpu-amd");
}

TEST_CASE("a product line the profile has a section for is fitted apart, under its architecture's kernel paths",
          "[calibration]") {
  // The Jetson Nano is architecture maxwell (kernel paths of llama.cpp builds) and product line
  // tegra. llama.cpp has a gpu-nvidia-tegra section but no gpu-nvidia-maxwell one (only build
  // changes name maxwell), so the Nano is fitted in gpu-nvidia-tegra; an RTX 4090 stays in
  // gpu-nvidia.
  const hwmodels::ProfileSet profiles(test::source_dir() + "/hwmodels/profiles");
  auto profile = profiles.load("llama.cpp");
  REQUIRE(profile.sections.count("gpu-nvidia-tegra") == 1);
  REQUIRE(profile.sections.count("gpu-nvidia-maxwell") == 0);
  const auto nano = hwmodels::Catalog(test::catalog_dir()).load("jetson-nano-4gb");
  const auto card = hwmodels::Catalog(test::catalog_dir()).load("rtx-4090");
  const auto& nano_gpu = *nano.first_device(hwmodels::DeviceKind::gpu);
  CHECK(profile.fit_scope(nano_gpu) == "gpu-nvidia-tegra");
  CHECK(profile.fit_scope(*card.first_device(hwmodels::DeviceKind::gpu)) == "gpu-nvidia");
  // The section's own values reach the Nano, not the 4090.
  const double tegra_launch = profile.sections.at("gpu-nvidia-tegra")["launch_overhead_us"].as<double>();
  CHECK(profile.efficiency_for(nano, nano_gpu).launch_overhead_us == Approx(tegra_launch));
  CHECK(profile.efficiency_for(card, *card.first_device(hwmodels::DeviceKind::gpu)).launch_overhead_us !=
        Approx(tegra_launch));
  // At b5000 the Maxwell change of b3216 (no dp4a: cuBLAS for every batch, no MMQ) still applies
  // on top; as written (spring 2024) MMQ took batches up to 32.
  CHECK(profile.efficiency_for(nano, nano_gpu).quantised_kernel_max_m == 32);
  profile.select_build(5000);
  const auto at_b5000 = profile.efficiency_for(nano, nano_gpu);
  CHECK(at_b5000.quantised_kernel_max_m == 0);
  CHECK(at_b5000.dequant_before_gemm);
  CHECK(at_b5000.launch_overhead_us == Approx(tegra_launch));
  // A profile without the section fits the Nano with its class.
  CHECK(profiles.load("vllm").fit_scope(nano_gpu) == "gpu-nvidia");
}
