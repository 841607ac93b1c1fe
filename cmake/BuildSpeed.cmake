# Build time only; nothing here changes what is built. Most of llmsim's compile time is the
# same few third-party headers (fmt, nlohmann/json, yaml-cpp, Boost.Graph, CLI11, Catch2)
# parsed, instantiated and optimised again in every translation unit. CI builds the tree
# twice (Release and the sanitizer build) on 2 cores, so this decides whether .ci/run fits
# its time budget.
# - Unity builds compile the libraries' and the app's sources in batches of 8 files, so each
#   batch pays for those headers once. Files of one library therefore must not define two
#   internal helpers of the same name and signature; the test programs, whose files all
#   define fixtures and helpers, build file by file.
# - Precompiled headers make each remaining translation unit read those headers once.
# -DLLMSIM_UNITY_BUILD=OFF -DLLMSIM_PRECOMPILED_HEADERS=OFF builds file by file with plain
# includes (e.g. to check that every file includes what it uses).
option(LLMSIM_UNITY_BUILD "Compile library sources in batches (unity build)" ON)
option(LLMSIM_PRECOMPILED_HEADERS "Precompile the heavy third-party headers" ON)
if(LLMSIM_UNITY_BUILD AND NOT DEFINED CMAKE_UNITY_BUILD)
  set(CMAKE_UNITY_BUILD ON)
  set(CMAKE_UNITY_BUILD_BATCH_SIZE 8)
endif()

# What every library uses (all of them link llmsim_common, hence fmt and yaml-cpp).
set(LLMSIM_PCH_BASE
  <algorithm> <filesystem> <fstream> <functional> <map> <memory> <optional> <set> <sstream>
  <string> <vector> <fmt/format.h> <yaml-cpp/yaml.h>)
# What the targets that build or read op graphs add to it.
set(LLMSIM_PCH_GRAPH <boost/graph/adjacency_list.hpp> <nlohmann/json.hpp>)

# llmsim_precompile_headers(target [header ...]): the base set plus the target's own heavy
# headers, for C++ sources only (nvcc compiles the runner's CUDA files without them).
function(llmsim_precompile_headers target)
  if(NOT LLMSIM_PRECOMPILED_HEADERS)
    return()
  endif()
  foreach(header IN LISTS LLMSIM_PCH_BASE ARGN)
    list(APPEND headers "$<$<COMPILE_LANGUAGE:CXX>:${header}>")
  endforeach()
  target_precompile_headers(${target} PRIVATE ${headers})
endfunction()
