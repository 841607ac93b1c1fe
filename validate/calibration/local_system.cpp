#include "validate/calibration/local_system.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "common/input_error.hpp"
#include "validate/calibration/calibration_writer.hpp"
#include "validate/prediction/kernel_op_builder.hpp"

namespace llmsim::validate {

namespace {

using measurements::Measurement;

bool has_feature(const std::string& features, const std::string& name) {
  std::istringstream in(features);
  std::string f;
  while (in >> f)
    if (f == name) return true;
  return false;
}

YAML::Node quantity(double value, const std::string& source, const std::string& note = "") {
  YAML::Node q;
  q["value"] = number_node(value);
  q["source"] = source;
  if (!note.empty()) q["note"] = note;
  return q;
}

}  // namespace

double fp32_flops_per_cycle(const std::string& isa) {
  if (has_feature(isa, "avx512f")) return 64;
  if (has_feature(isa, "avx2") && has_feature(isa, "fma")) return 32;
  if (has_feature(isa, "avx")) return 16;
  return 8;
}

namespace {

struct Streams {
  double fastest_gbs = 0;    // the fastest beyond-cache stream: stands in for the DRAM peak
  double largest_gbs = 0;    // the stream with the largest working set
  double largest_bytes = 0;  // and that working set
};

// Streams whose working set exceeds the last-level cache: the fastest bounds what DRAM can
// deliver; the one with the largest working set (least helped by the cache) is the start.
Streams dram_streams(const std::vector<const Measurement*>& cpu, int threads) {
  Streams out;
  for (const auto* r : cpu) {
    const bool stream =
        r->kernel() == measurements::KERNEL_CLASS_COPY || r->kernel() == measurements::KERNEL_CLASS_TRIAD;
    const double cache = static_cast<double>(std::max(r->device().l3_bytes(), r->device().l2_bytes()));
    const bool beyond_cache = working_set_bytes(*r) > cache;
    if (stream && beyond_cache && r->execution().threads() == threads && r->timing().median_s() > 0) {
      const double gbs = r->work().bytes_moved() / r->timing().median_s() / 1e9;
      out.fastest_gbs = std::max(out.fastest_gbs, gbs);
      if (working_set_bytes(*r) > out.largest_bytes) {
        out.largest_bytes = working_set_bytes(*r);
        out.largest_gbs = gbs;
      }
    }
  }
  return out;
}

YAML::Node memory_node(const measurements::Device& d, double stream_gbs, double largest_gbs) {
  YAML::Node memory;
  memory["id"] = "dram";
  memory["kind"] = "dram";
  memory["capacity_gib"] = quantity(static_cast<double>(d.memory_bytes()) / 1073741824.0, "runner");
  memory["bandwidth_gbs"] = quantity(stream_gbs, "fastest-stream", "no datasheet figure: the best stream measured");
  memory["measured_bandwidth_gbs"] = quantity(largest_gbs, "largest-stream");
  memory["notes"] = fmt::format("caches: L1d {} KiB and L2 {} KiB per core, L3 {} MiB", d.l1d_bytes() / 1024,
                                d.l2_bytes() / 1024, d.l3_bytes() / 1048576);
  return memory;
}

YAML::Node cpu_node(const measurements::Device& d, int cores, int machine_cores, double mhz, double flops_per_cycle) {
  YAML::Node cpu_device;
  cpu_device["id"] = "cpu";
  cpu_device["kind"] = "cpu";
  cpu_device["vendor"] = "generic";
  cpu_device["name"] = d.name();
  cpu_device["memory"] = "dram";
  cpu_device["compute_units"] =
      quantity(cores, "runner",
               fmt::format("{} of the machine's {} cores (the threads the records used)", cores, machine_cores));
  cpu_device["boost_clock_mhz"] = quantity(mhz, "runner");
  if (d.l1d_bytes() > 0) cpu_device["l1d_kib"] = quantity(static_cast<double>(d.l1d_bytes()) / 1024, "runner");
  const double peak_tflops = cores * mhz * 1e6 * flops_per_cycle / 1e12;
  YAML::Node peaks;
  peaks["f32"] = quantity(peak_tflops, "isa-peak",
                          fmt::format("{} cores x {:.4g} MHz x {} FLOP/cycle", cores, mhz, flops_per_cycle));
  cpu_device["peak_tflops"] = peaks;
  cpu_device["notes"] = fmt::format("ISA: {}", d.isa_features());
  return cpu_device;
}

}  // namespace

std::string local_system_yaml(const std::vector<Measurement>& records, const LocalSystemOptions& options) {
  std::vector<const Measurement*> cpu;
  for (const auto& r : records) {
    const bool mine = r.device().hardware_id().empty() || r.device().hardware_id() == options.id;
    if (mine && r.device().kind() == "cpu" && r.provenance().origin() == measurements::ORIGIN_RUNNER) cpu.push_back(&r);
  }
  if (cpu.empty()) {
    throw InputError(options.source_file, fmt::format("has no CPU record of llmsim-bench for hardware '{}' to describe "
                                                      "the machine from",
                                                      options.id));
  }
  std::map<int, int> thread_counts;
  for (const auto* r : cpu) ++thread_counts[r->execution().threads()];
  const int threads = std::max_element(thread_counts.begin(), thread_counts.end(), [](const auto& a, const auto& b) {
                        return a.second < b.second;
                      })->first;
  const auto& d = cpu.front()->device();
  const auto& env = cpu.front()->environment();
  const int machine_cores = std::max(d.compute_units(), 1);
  const int cores = threads > 0 ? std::min(threads, machine_cores) : machine_cores;
  const double mhz = d.max_clock_mhz() > 0 ? d.max_clock_mhz() : d.clock_mhz();
  if (mhz <= 0) throw InputError(options.source_file, "the CPU records give no clock (device.clock_mhz is 0)");

  const Streams st = dram_streams(cpu, threads);
  const double stream_gbs = st.fastest_gbs, largest_gbs = st.largest_gbs, largest_bytes = st.largest_bytes;
  if (stream_gbs <= 0) {
    throw InputError(options.source_file, fmt::format("has no copy or triad record larger than the {} MiB last-level "
                                                      "cache at {} thread(s): run the quick suite to measure DRAM",
                                                      d.l3_bytes() / 1048576, threads));
  }
  const double flops_per_cycle = fp32_flops_per_cycle(d.isa_features());

  YAML::Node root;
  root["id"] = options.id;
  root["name"] = fmt::format("This machine ({}): {}, {} of {} cores as llmsim-bench used them", env.hostname(),
                             d.name(), cores, machine_cores);
  YAML::Node sources;
  sources["runner"] = fmt::format(
      "{} records from {} ({} on host {}, run {}, {}): device name, cores, clock, caches, "
      "memory size and ISA as the runner read them from the OS",
      cpu.size(), options.source_file, env.runner_version(), env.hostname(), env.run_id(), env.started_at());
  sources["isa-peak"] = fmt::format(
      "assumption: {} FP32 FLOP per cycle per core from the widest vector ISA reported "
      "(AVX-512F 64, AVX2+FMA 32, AVX 16, else 8) at the reported clock; an upper bound "
      "that calibration scales by matmul.max_fraction",
      flops_per_cycle);
  sources["fastest-stream"] = fmt::format(
      "the fastest copy/triad of these records with a working set beyond the "
      "last-level cache, at {} thread(s): the OS does not report the DRAM "
      "configuration, so this stands in for the peak (an upper bound for the fit)",
      threads);
  sources["largest-stream"] = fmt::format(
      "the copy/triad of these records with the largest working set ({:.0f} MiB), "
      "at {} thread(s): what DRAM delivers with the least help from the cache",
      largest_bytes / 1048576, threads);
  root["sources"] = sources;
  root["memories"].push_back(memory_node(d, stream_gbs, largest_gbs));
  root["devices"].push_back(cpu_node(d, cores, machine_cores, mhz, flops_per_cycle));
  root["notes"] = "Written by `llmsim local-system` from llmsim-bench records; calibrate it with `llmsim calibrate`.";
  YAML::Emitter out;
  out << root;
  return std::string("# Generated by llmsim local-system: a description of the machine llmsim-bench measured.\n") +
         out.c_str() + "\n";
}

}  // namespace llmsim::validate
