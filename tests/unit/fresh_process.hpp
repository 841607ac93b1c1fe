// SimGrid allows one engine per process, so each simulation in a test runs in a
// forked child that sends its numbers back over a pipe. Tests then pass whether
// ctest runs them one per process or the binary runs them all at once.
#pragma once

#include <functional>
#include <vector>

namespace llmsim::test {

/// Runs `simulate` in a child process and returns what it returned. An exception in the
/// child becomes a std::runtime_error here with its message.
std::vector<double> in_fresh_process(const std::function<std::vector<double>()>& simulate);

}  // namespace llmsim::test
