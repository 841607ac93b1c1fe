// A kernel on a CUDA device: device buffers it owns, one call as a launch on the default
// stream, timed with CUDA events around back-to-back calls.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "validate/runner/core/kernel.hpp"

namespace llmsim::bench {

/// Device memory; throws std::bad_alloc when the device has too little.
class CudaBuffer {
 public:
  explicit CudaBuffer(std::size_t bytes);
  ~CudaBuffer();
  CudaBuffer(const CudaBuffer&) = delete;
  CudaBuffer& operator=(const CudaBuffer&) = delete;

  void upload(const void* data, std::size_t bytes);
  void download(void* data, std::size_t bytes) const;
  void* get() const { return ptr_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
};

/// Throws std::runtime_error naming `what` when the last CUDA call or launch failed.
void cuda_check_last(const char* what);

class CudaKernel : public Kernel {
 public:
  using Launch = std::function<void()>;
  using Checker = std::function<CheckResult()>;

  CudaKernel(std::vector<std::unique_ptr<CudaBuffer>> buffers, Launch launch, Checker checker, Work work,
             std::string implementation);
  ~CudaKernel() override;

  Work work() const override { return work_; }
  std::string implementation() const override { return implementation_; }
  std::string timer() const override { return "cuda_event"; }
  CheckResult check() override;
  double time_calls(std::int64_t calls) override;

 private:
  std::vector<std::unique_ptr<CudaBuffer>> buffers_;
  Launch launch_;
  Checker checker_;
  Work work_;
  std::string implementation_;
  void* start_ = nullptr;  // cudaEvent_t, kept opaque so this header needs no CUDA headers
  void* stop_ = nullptr;
};

}  // namespace llmsim::bench
