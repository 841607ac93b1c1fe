#include "sim/process_pool.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <map>
#include <stdexcept>

namespace llmsim::sim {

bool write_fully(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string read_until_eof(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

std::vector<ChildOutcome> run_in_children(std::size_t count, int parallel, const std::function<int(std::size_t)>& task,
                                          const std::function<void(std::size_t, const ChildOutcome&)>& on_done) {
  std::vector<ChildOutcome> outcomes(count);
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0;
  while (next < count || !running.empty()) {
    while (next < count && static_cast<int>(running.size()) < std::max(parallel, 1)) {
      std::fflush(nullptr);  // or children would repeat what the parent had buffered
      const pid_t pid = ::fork();
      if (pid < 0) throw std::runtime_error("fork failed");
      if (pid == 0) {
        int code = 4;
        try {
          code = task(next);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "llmsim: %s\n", e.what());
          code = 1;
        }
        std::fflush(nullptr);
        _exit(code);
      }
      running[pid] = next++;
    }
    int status = 0;
    const pid_t done = ::waitpid(-1, &status, 0);
    if (done < 0) throw std::runtime_error("waitpid failed");
    auto it = running.find(done);
    if (it == running.end()) continue;
    ChildOutcome outcome;
    if (WIFSIGNALED(status)) {
      outcome.signalled = true;
      outcome.exit_code = 128 + WTERMSIG(status);
    } else {
      outcome.exit_code = WEXITSTATUS(status);
    }
    outcomes[it->second] = outcome;
    if (on_done) on_done(it->second, outcome);
    running.erase(it);
  }
  return outcomes;
}

}  // namespace llmsim::sim
