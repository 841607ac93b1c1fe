// Runs sweep points in forked children, at most `parallel` at once (SimGrid allows one engine
// per process), and stops cleanly when asked: no new child is started, the running ones are
// killed and reaped, and what they had not finished leaves no trace (their rows are written
// atomically). Unlike run_in_children, it can be interrupted and tells which points ended.
#pragma once

#include <csignal>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace llmsim::sim::sweep {

struct PointExit {
  int exit_code = 0;  // the task's return value, or 128 + signal
  bool signalled = false;
};

class PointPool {
 public:
  /// `stop` is polled between events; a signal handler sets it (the pool's waits return on
  /// EINTR, so a SIGINT is seen at once).
  PointPool(int parallel, const volatile std::sig_atomic_t& stop) : parallel_(parallel), stop_(stop) {}

  /// Runs task(point) in a child for each of `points`, in order. In the child, stdout goes
  /// to /dev/null and stderr to log_path(point). `on_done` runs in the parent as each child
  /// ends (not for children killed because of `stop`). Returns false when stopped early.
  bool run(const std::vector<std::size_t>& points, const std::function<int(std::size_t)>& task,
           const std::function<std::string(std::size_t)>& log_path,
           const std::function<void(std::size_t, const PointExit&)>& on_done);

 private:
  int parallel_;
  const volatile std::sig_atomic_t& stop_;
};

}  // namespace llmsim::sim::sweep
