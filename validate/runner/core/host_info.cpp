#include "validate/runner/core/host_info.hpp"

#include <fmt/chrono.h>
#include <cpuid.h>
#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace llmsim::bench {

namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// "model name" and "cpu MHz" from /proc/cpuinfo (first CPU).
std::string cpuinfo_field(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "";
}

// sysfs cache sizes read like "32768K".
std::int64_t cache_bytes(int level, bool data_or_unified) {
  for (int index = 0; index < 8; ++index) {
    const std::string dir = fmt::format("/sys/devices/system/cpu/cpu0/cache/index{}/", index);
    const std::string lvl = first_line(dir + "level");
    if (lvl.empty()) break;
    const std::string type = first_line(dir + "type");
    if (std::stoi(lvl) != level || (data_or_unified && type == "Instruction")) continue;
    std::string size = first_line(dir + "size");
    std::int64_t scale = 1;
    if (!size.empty() && size.back() == 'K') scale = 1024;
    if (!size.empty() && size.back() == 'M') scale = 1024 * 1024;
    try {
      return std::stoll(size) * scale;
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

double sysfs_mhz(const std::string& file) {
  const std::string khz = first_line("/sys/devices/system/cpu/cpu0/cpufreq/" + file);
  try {
    return khz.empty() ? 0.0 : std::stod(khz) / 1000.0;
  } catch (const std::exception&) {
    return 0.0;
  }
}

// clang 14's __builtin_cpu_supports does not know "f16c" (the sanitizer and fuzz builds use
// clang): ask CPUID leaf 1 directly, ECX bit 29.
bool has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}

std::string isa_features() {
  std::string out;
  __builtin_cpu_init();
  auto add = [&](bool has, const char* name) {
    if (!has) return;
    if (!out.empty()) out += ' ';
    out += name;
  };
  add(__builtin_cpu_supports("sse4.2"), "sse4.2");
  add(__builtin_cpu_supports("avx"), "avx");
  add(__builtin_cpu_supports("avx2"), "avx2");
  add(__builtin_cpu_supports("fma"), "fma");
  add(has_f16c(), "f16c");
  add(__builtin_cpu_supports("avx512f"), "avx512f");
  add(__builtin_cpu_supports("avx512bw"), "avx512bw");
  add(__builtin_cpu_supports("avx512vnni"), "avx512vnni");
  add(__builtin_cpu_supports("avx512bf16"), "avx512bf16");
  return out;
}

}  // namespace

measurements::Device host_cpu_device() {
  measurements::Device d;
  d.set_name(cpuinfo_field("model name"));
  d.set_kind("cpu");
  d.set_vendor(cpuinfo_field("vendor_id"));
  d.set_compute_units(static_cast<int>(std::thread::hardware_concurrency()));
  double mhz = sysfs_mhz("scaling_cur_freq");
  if (mhz == 0) {
    try {
      mhz = std::stod(cpuinfo_field("cpu MHz"));
    } catch (const std::exception&) {
      mhz = 0;
    }
  }
  d.set_clock_mhz(mhz);
  d.set_max_clock_mhz(sysfs_mhz("cpuinfo_max_freq"));
  d.set_memory_bytes(static_cast<std::int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE));
  d.set_l1d_bytes(cache_bytes(1, true));
  d.set_l2_bytes(cache_bytes(2, true));
  d.set_l3_bytes(cache_bytes(3, true));
  d.set_isa_features(isa_features());
  utsname u{};
  if (::uname(&u) == 0) d.set_driver(fmt::format("{} {}", u.sysname, u.release));
  return d;
}

measurements::Environment host_environment() {
  measurements::Environment env;
  env.set_runner_version(runner_version());
  const auto now = std::chrono::system_clock::now();
  env.set_started_at(fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now))));
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  env.set_hostname(host);
  env.set_run_id(fmt::format("{}-{}-{}", host, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                   now.time_since_epoch()).count(), ::getpid()));
  utsname u{};
  if (::uname(&u) == 0) env.set_os(fmt::format("{} {} {}", u.sysname, u.release, u.machine));
  env.set_compiler(fmt::format("{}", __VERSION__));
  return env;
}

}  // namespace llmsim::bench
