#include "sim/sweep/point_pool.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <map>
#include <stdexcept>

namespace llmsim::sim::sweep {

namespace {

[[noreturn]] void run_child(std::size_t point, const std::function<int(std::size_t)>& task, const std::string& log) {
  ::setpgid(0, 0);  // a terminal's Ctrl-C reaches the parent only; it decides what stops
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  const int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0) ::dup2(null, STDOUT_FILENO);
  const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (err >= 0) ::dup2(err, STDERR_FILENO);
  int code = 4;
  try {
    code = task(point);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llmsim: internal error: %s\n", e.what());
  }
  std::fflush(nullptr);
  _exit(code);
}

}  // namespace

bool PointPool::run(const std::vector<std::size_t>& points, const std::function<int(std::size_t)>& task,
                    const std::function<std::string(std::size_t)>& log_path,
                    const std::function<void(std::size_t, const PointExit&)>& on_done) {
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0;
  while (!stop_ && (next < points.size() || !running.empty())) {
    while (!stop_ && next < points.size() && static_cast<int>(running.size()) < std::max(parallel_, 1)) {
      const std::string log = log_path(points[next]);
      std::fflush(nullptr);  // or children would repeat what the parent had buffered
      const pid_t pid = ::fork();
      if (pid < 0) throw std::runtime_error("fork failed");
      if (pid == 0) run_child(points[next], task, log);
      running[pid] = points[next++];
    }
    if (stop_ || running.empty()) continue;
    int status = 0;
    const pid_t done = ::waitpid(-1, &status, 0);
    if (done < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("waitpid failed");
    }
    const auto it = running.find(done);
    if (it == running.end()) continue;
    PointExit exit;
    exit.signalled = WIFSIGNALED(status);
    exit.exit_code = exit.signalled ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    const std::size_t point = it->second;
    running.erase(it);
    if (stop_ && exit.signalled) continue;  // killed by the interruption: not a result
    on_done(point, exit);
  }
  if (running.empty()) return !stop_ || next == points.size();
  for (const auto& [pid, point] : running) ::kill(pid, SIGKILL);
  for (const auto& [pid, point] : running) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  return false;
}

}  // namespace llmsim::sim::sweep
