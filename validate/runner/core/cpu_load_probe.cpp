#include "validate/runner/core/cpu_load_probe.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

namespace llmsim::bench {

CpuLoadProbe::CpuLoadProbe() : start_(take()) {}

CpuLoadProbe::Snapshot CpuLoadProbe::take() {
  Snapshot s;
  std::ifstream stat("/proc/stat");
  std::string cpu;
  std::int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return s;
  s.busy = user + nice + system + irq + softirq + steal;
  s.total = s.busy + idle + iowait;
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  s.self_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
             1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  s.valid = true;
  return s;
}

double CpuLoadProbe::background_load() const {
  const Snapshot end = take();
  if (!start_.valid || !end.valid || end.total <= start_.total) return -1;
  const double tick = 1.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double total_s = static_cast<double>(end.total - start_.total) * tick;
  const double busy_s = static_cast<double>(end.busy - start_.busy) * tick;
  return std::clamp((busy_s - (end.self_s - start_.self_s)) / total_s, 0.0, 1.0);
}

}  // namespace llmsim::bench
