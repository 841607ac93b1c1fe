// Base of the CPU kernels: timed with the host's steady clock around back-to-back calls.
#pragma once

#include <chrono>

#include "validate/runner/core/kernel.hpp"

namespace llmsim::bench {

class CpuKernel : public Kernel {
 public:
  std::string timer() const override { return "steady_clock"; }

  double time_calls(std::int64_t calls) override {
    before_timing();
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < calls; ++i) run_once();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

 protected:
  /// One call of the kernel on its operands.
  virtual void run_once() = 0;
  /// Set-up that must not be timed but must precede timed calls (library thread counts).
  virtual void before_timing() {}
};

}  // namespace llmsim::bench
