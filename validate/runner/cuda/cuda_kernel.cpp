#include "validate/runner/cuda/cuda_kernel.hpp"

#include <cuda_runtime.h>
#include <fmt/format.h>

#include <new>
#include <stdexcept>

namespace llmsim::bench {

void cuda_check_last(const char* what) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(fmt::format("{}: {}", what, cudaGetErrorString(e)));
}

CudaBuffer::CudaBuffer(std::size_t bytes) {
  if (cudaMalloc(&ptr_, bytes == 0 ? 16 : bytes) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free allocation error
    throw std::bad_alloc();
  }
}

CudaBuffer::~CudaBuffer() { cudaFree(ptr_); }

void CudaBuffer::upload(const void* data, std::size_t bytes) {
  if (cudaMemcpy(ptr_, data, bytes, cudaMemcpyHostToDevice) != cudaSuccess) cuda_check_last("cudaMemcpy to device");
}

void CudaBuffer::download(void* data, std::size_t bytes) const {
  if (cudaMemcpy(data, ptr_, bytes, cudaMemcpyDeviceToHost) != cudaSuccess) cuda_check_last("cudaMemcpy to host");
}

CudaKernel::CudaKernel(std::vector<std::unique_ptr<CudaBuffer>> buffers, Launch launch, Checker checker, Work work,
                       std::string implementation)
    : buffers_(std::move(buffers)),
      launch_(std::move(launch)),
      checker_(std::move(checker)),
      work_(work),
      implementation_(std::move(implementation)) {
  cudaEvent_t start = nullptr, stop = nullptr;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  start_ = start;
  stop_ = stop;
}

CudaKernel::~CudaKernel() {
  cudaEventDestroy(static_cast<cudaEvent_t>(start_));
  cudaEventDestroy(static_cast<cudaEvent_t>(stop_));
}

CheckResult CudaKernel::check() {
  launch_();
  cudaDeviceSynchronize();
  cuda_check_last(implementation_.c_str());
  return checker_();
}

double CudaKernel::time_calls(std::int64_t calls) {
  auto start = static_cast<cudaEvent_t>(start_), stop = static_cast<cudaEvent_t>(stop_);
  cudaEventRecord(start);
  for (std::int64_t i = 0; i < calls; ++i) launch_();
  cudaEventRecord(stop);
  cudaEventSynchronize(stop);
  cuda_check_last(implementation_.c_str());
  float ms = 0;
  cudaEventElapsedTime(&ms, start, stop);
  return 1e-3 * static_cast<double>(ms);
}

}  // namespace llmsim::bench
