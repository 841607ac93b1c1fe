#include "fresh_process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "sim/process_pool.hpp"

namespace llmsim::test {

namespace {

void write_all(int fd, const void* data, std::size_t size) {
  if (!sim::write_fully(fd, data, size)) _exit(3);
}

}  // namespace

std::vector<double> in_fresh_process(const std::function<std::vector<double>()>& simulate) {
  std::fflush(nullptr);  // or the child would print what the parent had buffered
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    char ok = 1;
    try {
      const std::vector<double> values = simulate();
      write_all(fds[1], &ok, 1);
      write_all(fds[1], values.data(), values.size() * sizeof(double));
    } catch (const std::exception& e) {
      ok = 0;
      write_all(fds[1], &ok, 1);
      write_all(fds[1], e.what(), std::strlen(e.what()));
    }
    ::close(fds[1]);
    _exit(0);
  }
  ::close(fds[1]);
  const std::string bytes = sim::read_until_eof(fds[0]);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (bytes.empty()) throw std::runtime_error("simulation child died (status " + std::to_string(status) + ")");
  if (bytes[0] == 0) throw std::runtime_error("simulation failed: " + bytes.substr(1));
  std::vector<double> values((bytes.size() - 1) / sizeof(double));
  // An empty vector's data() may be null, which memcpy must not get even for 0 bytes (UBSan).
  if (!values.empty()) std::memcpy(values.data(), bytes.data() + 1, values.size() * sizeof(double));
  return values;
}

}  // namespace llmsim::test
