#!/bin/sh
# Builds llmsim with AddressSanitizer + UndefinedBehaviorSanitizer (clang; the build that the
# fuzz harnesses share, scripts/configure-sanitized.sh) and runs the test suite under it, less
# the tests that time this machine, sweep the whole catalog or rerun whole seed scenarios
# (labels calibration, slow and seeds;
# docs/reliability.md says why). Any sanitizer report fails the test that triggered it.
#   JOBS  build and test parallelism (default 2)    SANITIZED_BUILD  build folder (default build-asan)
set -eu
cd "$(dirname "$0")/.."
build=${SANITIZED_BUILD:-build-asan}
start=$(date +%s)
scripts/configure-sanitized.sh "$build"
cmake --build "$build" -j"${JOBS:-2}"
built=$(date +%s)
# halt_on_error / abort: a report is a failure, not a log line. SimGrid runs no actors in
# llmsim (activities only, from maestro), so no context switching confuses ASan's stack
# tracking; detect_stack_use_after_return stays at its default (off).
export ASAN_OPTIONS="abort_on_error=1:halt_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$(pwd)/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$build"
# The Vulkan backend's kernel test is left out: Mesa's lavapipe driver (not instrumented, and
# unloaded before exit) leaks 128 bytes that LeakSanitizer cannot attribute to a module, so no
# suppression can name it. It runs in the normal build.
ctest --output-on-failure -j"${JOBS:-2}" -LE "calibration|slow|seeds" -E "^runner:vulkan" --timeout 1200
echo "sanitize: build $((built - start)) s, tests $(($(date +%s) - built)) s"
