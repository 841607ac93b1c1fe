#!/bin/sh
# The README's second command: build and run the whole test suite.
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh
cd build
ctest --output-on-failure -j"${JOBS:-2}"
