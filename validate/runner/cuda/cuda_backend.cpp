#include "validate/runner/cuda/cuda_backend.hpp"

#include <cuda_runtime.h>
#include <fmt/format.h>
#include <google/protobuf/stubs/common.h>

namespace llmsim::bench {

namespace {

constexpr std::size_t kWorkspaceBytes = 32u << 20;

int attribute(cudaDeviceAttr attr, int device) {
  int value = 0;
  cudaDeviceGetAttribute(&value, attr, device);
  return value;
}

std::string cuda_version(int v) { return fmt::format("{}.{}", v / 1000, (v % 1000) / 10); }

}  // namespace

CudaBackend::CudaBackend(int device_index) : device_index_(device_index) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    throw BackendUnavailable(fmt::format("no CUDA GPU on this machine ({}); the cuda backend needs an NVIDIA GPU "
                                         "and its driver",
                                         status != cudaSuccess ? cudaGetErrorString(status) : "0 devices"));
  }
  if (device_index >= count) {
    throw BackendUnavailable(fmt::format("no CUDA device {} ({} found)", device_index, count));
  }
  cudaSetDevice(device_index);
  handles_.cc_major = attribute(cudaDevAttrComputeCapabilityMajor, device_index);
  handles_.cc_minor = attribute(cudaDevAttrComputeCapabilityMinor, device_index);
  if (cublasCreate(&handles_.blas) != CUBLAS_STATUS_SUCCESS || cublasLtCreate(&handles_.lt) != CUBLAS_STATUS_SUCCESS) {
    throw BackendUnavailable("cuBLAS could not be initialised on this GPU");
  }
  if (cudaMalloc(&handles_.workspace, kWorkspaceBytes) == cudaSuccess) handles_.workspace_bytes = kWorkspaceBytes;
}

CudaBackend::~CudaBackend() {
  if (handles_.workspace) cudaFree(handles_.workspace);
  if (handles_.lt) cublasLtDestroy(handles_.lt);
  if (handles_.blas) cublasDestroy(handles_.blas);
}

measurements::Device CudaBackend::device() const {
  cudaDeviceProp p{};
  cudaGetDeviceProperties(&p, device_index_);
  measurements::Device d;
  d.set_name(p.name);
  d.set_kind(p.integrated ? "igpu" : "gpu");
  d.set_vendor("NVIDIA");
  int driver = 0;
  cudaDriverGetVersion(&driver);
  d.set_driver("CUDA driver " + cuda_version(driver));
  d.set_api_version(fmt::format("compute capability {}.{}", handles_.cc_major, handles_.cc_minor));
  d.set_compute_units(p.multiProcessorCount);
  d.set_max_clock_mhz(attribute(cudaDevAttrClockRate, device_index_) / 1000.0);
  d.set_memory_clock_mhz(attribute(cudaDevAttrMemoryClockRate, device_index_) / 1000.0);
  d.set_memory_bytes(static_cast<std::int64_t>(p.totalGlobalMem));
  d.set_l2_bytes(p.l2CacheSize);
  std::string uuid;
  for (char byte : p.uuid.bytes) uuid += fmt::format("{:02x}", static_cast<unsigned char>(byte));
  d.set_uuid(uuid);
  return d;
}

std::map<std::string, std::string> CudaBackend::libraries() const {
  int runtime = 0, driver = 0, blas = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  cublasGetVersion(handles_.blas, &blas);
  return {{"cuda_runtime", cuda_version(runtime)},
          {"cuda_driver", cuda_version(driver)},
          {"cublas", std::to_string(blas)},
          {"cublasLt", std::to_string(cublasLtGetVersion())},
          {"protobuf", google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)}};
}

std::string CudaBackend::unsupported_reason(const KernelSpec& spec) const {
  return cuda_unsupported_reason(handles_, spec);
}

std::unique_ptr<Kernel> CudaBackend::make_kernel(const KernelSpec& spec) { return make_cuda_kernel(handles_, spec); }

}  // namespace llmsim::bench
