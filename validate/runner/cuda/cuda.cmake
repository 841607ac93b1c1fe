# The CUDA backend, built when CMake finds a CUDA compiler (nvcc) and the toolkit's cuBLAS.
# Only the few custom kernels go through nvcc; cuBLAS calls are plain C++. To keep nvcc
# time small the default targets are PTX for sm_75 (JIT on any newer GPU) plus SASS for
# sm_90 (H100/H200); set CMAKE_CUDA_ARCHITECTURES to choose others.
include(CheckLanguage)
check_language(CUDA)
if(CMAKE_CUDA_COMPILER)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 75-virtual 90-real)
  endif()
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  target_sources(llmsim_bench_core PRIVATE
    cuda/cuda_backend.cpp
    cuda/cuda_kernel.cpp
    cuda/cuda_kernels.cu
    cuda/cuda_cases.cpp)
  target_link_libraries(llmsim_bench_core PUBLIC CUDA::cudart CUDA::cublas CUDA::cublasLt)
  target_compile_definitions(llmsim_bench_core PUBLIC LLMSIM_BENCH_HAVE_CUDA)
  # The target predates enable_language(CUDA), so it takes the architectures explicitly.
  set_target_properties(llmsim_bench_core PROPERTIES CUDA_STANDARD 17 CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}")
  message(STATUS "llmsim-bench: CUDA backend enabled (${CMAKE_CUDA_COMPILER}, archs ${CMAKE_CUDA_ARCHITECTURES})")
else()
  message(STATUS "llmsim-bench: CUDA backend disabled (no CUDA compiler found)")
endif()
