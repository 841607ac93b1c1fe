// Runs independent simulations in forked child processes, a few at a time. SimGrid allows
// one engine per process, so every variant or sweep point gets a fresh process; a point
// that crashes or fails is recorded as such and the others go on.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace llmsim::sim {

struct ChildOutcome {
  int exit_code = 0;   // the task's return value, or 128 + signal when it was killed
  bool signalled = false;
};

/// Runs task(i) for i in [0, count) in child processes, at most `parallel` at once, and
/// returns how each ended. `on_done(i, outcome)` is called in the parent as each finishes
/// (for progress display and writing results as they come).
std::vector<ChildOutcome> run_in_children(std::size_t count, int parallel, const std::function<int(std::size_t)>& task,
                                          const std::function<void(std::size_t, const ChildOutcome&)>& on_done = {});

/// Writes all `size` bytes to `fd` (a child's pipe back to its parent); false if the pipe broke.
bool write_fully(int fd, const void* data, std::size_t size);

/// Reads `fd` until end of file (every child holding the pipe's write end has closed it).
std::string read_until_eof(int fd);

}  // namespace llmsim::sim
