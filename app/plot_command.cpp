// llmsim plot KIND INPUT... -o OUT.png|OUT.svg: runs the matplotlib scripts of plots/ (installed
// with the data) under /usr/bin/python3, or $LLMSIM_PYTHON. Everything after KIND goes to the
// script unchanged, so each kind's options live in one place (plots/llmsim_plots/<kind>.py).
// `llmsim plot roofs HARDWARE [-o FILE]` writes the device roofs the roofline plot draws, read
// from the catalog by the same code the simulator uses (the scripts never parse hardware YAML).
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "hwmodels/memory_kinds.hpp"
#include "common/output_files.hpp"
#include "app/commands.hpp"

extern char** environ;

namespace llmsim::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kKinds = "roofline, timeline, sweep, validation, latency, pareto (and roofs)";

// Peak FLOP/s per dtype and the memory roofs of every device of a system, as JSON.
nlohmann::ordered_json roofs_json(const sim::DataPaths& paths, const std::string& hardware) {
  const hwmodels::System s = hwmodels::Catalog(paths.catalog()).load(hardware);
  const auto kinds = hwmodels::MemoryKinds::load(paths.memory_kinds());
  nlohmann::ordered_json devices = nlohmann::ordered_json::array();
  for (const auto& d : s.devices) {
    const hwmodels::Memory* m = s.find_memory(d.memory);
    if (!m) throw InputError(s.file, fmt::format("device {} reads memory '{}', which the file does not define", d.id, d.memory));
    nlohmann::ordered_json peaks = nlohmann::ordered_json::object();
    for (const auto& [dtype, q] : d.peak_tflops) peaks[dtype] = q.value * 1e12;
    devices.push_back({{"id", d.id},
                       {"kind", to_string(d.kind)},
                       {"name", d.name},
                       {"memory", m->id},
                       {"peak_flops", peaks},
                       {"bandwidth_bytes_per_s", m->bandwidth_bytes_per_s()},
                       {"achievable_bytes_per_s", kinds.achievable_bytes_per_s(*m)},
                       {"bandwidth_basis", m->measured_bandwidth_gbs ? "measured" : "datasheet x stream fraction of " + m->kind}});
  }
  return {{"hardware", s.id}, {"name", s.name}, {"file", s.file}, {"devices", devices}};
}

int write_roofs(const sim::DataPaths& paths, const std::vector<std::string>& args) {
  std::string hardware, out;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if ((args[i] == "-o" || args[i] == "--output") && i + 1 < args.size()) {
      out = args[++i];
    } else if (hardware.empty() && !args[i].starts_with("-")) {
      hardware = args[i];
    } else {
      throw InputError("plot roofs", fmt::format("unexpected argument '{}'; usage: llmsim plot roofs ID|FILE [-o FILE]", args[i]));
    }
  }
  if (hardware.empty()) throw InputError("plot roofs", "usage: llmsim plot roofs ID|FILE [-o FILE]");
  const std::string text = roofs_json(paths, hardware).dump(1) + "\n";
  if (out.empty()) {
    fmt::print("{}", text);
  } else {
    write_file_atomically(out, text);
  }
  return kOk;
}

// The interpreter: $LLMSIM_PYTHON, else Debian's /usr/bin/python3 (where python3-matplotlib installs).
std::string python_path() {
  const char* env = std::getenv("LLMSIM_PYTHON");
  const std::string python = env && *env ? env : "/usr/bin/python3";
  if (::access(python.c_str(), X_OK) != 0) {
    throw InputError(env && *env ? "LLMSIM_PYTHON" : "plot",
                     fmt::format("cannot run {} ({}); install python3 and python3-matplotlib "
                                 "(scripts/install-deps.sh) or set LLMSIM_PYTHON to a python3 with matplotlib",
                                 python, std::strerror(errno)));
  }
  return python;
}

int run_script(const sim::DataPaths& paths, const std::vector<std::string>& args) {
  const std::string script = paths.root() + "/plots/llmsim_plot.py";
  if (!fs::is_regular_file(script)) {
    throw InputError(script, "the plot scripts are missing (they install with the data, from plots/)");
  }
  const std::string python = python_path();
  // The roofline script asks this binary for the roofs (llmsim plot roofs).
  std::error_code ec;
  const fs::path self = fs::canonical("/proc/self/exe", ec);
  if (!ec) ::setenv("LLMSIM_EXE", self.c_str(), 1);
  std::vector<std::string> argv_strings{python, script};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (const int rc = ::posix_spawn(&pid, python.c_str(), nullptr, nullptr, argv.data(), environ); rc != 0) {
    throw InputError("plot", fmt::format("cannot start {}: {}", python, std::strerror(rc)));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(fmt::format("waitpid: {}", std::strerror(errno)));
  }
  if (!WIFEXITED(status)) {
    fmt::print(stderr, "llmsim: internal error: {} {} was killed by signal {}\n", python, script, WTERMSIG(status));
    return kInternalError;
  }
  // The script's own codes: 0 drawn, 1 bad input or no matplotlib, 2 bad command line.
  const int code = WEXITSTATUS(status);
  return code == kOk || code == kInputError || code == kUsageError ? code : kInternalError;
}

}  // namespace

void add_plot_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("plot", "draw a chart (PNG or SVG) from llmsim's output files with matplotlib");
  cmd->prefix_command();  // everything after `plot` goes to the script
  cmd->footer(fmt::format("usage: llmsim plot KIND INPUT... -o OUT.png|OUT.svg [--data-out DATA.json] [options]\n"
                          "KIND: {}\n`llmsim plot KIND --help` lists the options of a kind; docs/plots.md shows each.",
                          kKinds));
  cmd->callback([cmd, &action]() {
    const std::vector<std::string> args = cmd->remaining();
    action = [args](const sim::DataPaths& paths) {
      if (args.empty()) {
        fmt::print(stderr, "llmsim plot: missing KIND, one of {}; see llmsim plot --help\n", kKinds);
        return static_cast<int>(kUsageError);
      }
      if (args.front() == "roofs") return write_roofs(paths, args);
      return run_script(paths, args);
    };
  });
}

}  // namespace llmsim::cli
