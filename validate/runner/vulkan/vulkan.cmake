# The Vulkan backend, built when the Vulkan headers/loader and glslc are present
# (Debian: libvulkan-dev, glslc). Shaders are compiled to SPIR-V at build time into the
# build tree and embedded in the binary, so an installed llmsim-bench needs no shader files.
find_package(Vulkan QUIET)
find_program(GLSLC_EXECUTABLE glslc)
if(Vulkan_FOUND AND GLSLC_EXECUTABLE)
  set(LLMSIM_SHADERS copy triad silu rmsnorm gemv_f32 gemv_f16 gemv_q4_0 gemm_tiled)
  set(LLMSIM_SPIRV_DIR ${CMAKE_CURRENT_BINARY_DIR}/spirv)
  file(MAKE_DIRECTORY ${LLMSIM_SPIRV_DIR})
  set(LLMSIM_SPIRV_INCLUDES "")
  foreach(shader ${LLMSIM_SHADERS})
    set(src ${CMAKE_CURRENT_SOURCE_DIR}/vulkan/shaders/${shader}.comp)
    set(out ${LLMSIM_SPIRV_DIR}/${shader}.spv.inc)
    # -mfmt=c writes the SPIR-V words as a C initializer list.
    add_custom_command(OUTPUT ${out}
      COMMAND ${GLSLC_EXECUTABLE} -O --target-env=vulkan1.1 -mfmt=c -o ${out} ${src}
      DEPENDS ${src} COMMENT "glslc ${shader}.comp" VERBATIM)
    list(APPEND LLMSIM_SPIRV_INCLUDES ${out})
  endforeach()
  target_sources(llmsim_bench_core PRIVATE
    vulkan/spirv_shaders.cpp
    vulkan/vulkan_backend.cpp
    vulkan/vulkan_buffer.cpp
    vulkan/vulkan_context.cpp
    vulkan/vulkan_kernel.cpp
    vulkan/vulkan_kernels.cpp
    vulkan/vulkan_pipeline.cpp
    ${LLMSIM_SPIRV_INCLUDES})
  target_include_directories(llmsim_bench_core PRIVATE ${LLMSIM_SPIRV_DIR})
  # Vulkan structs are written as `VkXxx info{VK_STRUCTURE_TYPE_...}`: the rest zeroed on purpose.
  set_source_files_properties(vulkan/vulkan_backend.cpp vulkan/vulkan_buffer.cpp vulkan/vulkan_context.cpp
    vulkan/vulkan_kernel.cpp vulkan/vulkan_kernels.cpp vulkan/vulkan_pipeline.cpp
    PROPERTIES COMPILE_OPTIONS "-Wno-missing-field-initializers")
  target_link_libraries(llmsim_bench_core PUBLIC Vulkan::Vulkan)
  target_compile_definitions(llmsim_bench_core PUBLIC LLMSIM_BENCH_HAVE_VULKAN)
  message(STATUS "llmsim-bench: Vulkan backend enabled (glslc: ${GLSLC_EXECUTABLE})")
else()
  message(STATUS "llmsim-bench: Vulkan backend disabled (need Vulkan headers/loader and glslc)")
endif()
