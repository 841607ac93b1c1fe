#!/bin/sh
# Configures the one instrumented build that scripts/sanitize.sh and scripts/fuzz.sh share:
# clang, AddressSanitizer + UndefinedBehaviorSanitizer, and libFuzzer coverage hooks
# (-DLLMSIM_FUZZ=ON), so the libraries are compiled once for the test suite and the harnesses.
#   scripts/configure-sanitized.sh [BUILD_DIR]   (default build-asan, or $SANITIZED_BUILD)
set -eu
cd "$(dirname "$0")/.."
# -O1 and line tables only (file:line in every report's stack, no variable info): what ASan's
# documentation recommends, and 10-20% less compile time than RelWithDebInfo's -O2 -g.
cmake -S . -B "${1:-${SANITIZED_BUILD:-build-asan}}" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DLLMSIM_SANITIZE=ON -DLLMSIM_FUZZ=ON -DLLMSIM_BUILD_TESTS=ON -DLLMSIM_BUILD_BENCHMARKS=OFF \
  -DCMAKE_CUDA_COMPILER=NOTFOUND >/dev/null  # llmsim-bench's CUDA backend: nvcc takes no sanitizer flags
