#!/bin/sh
# Configures and builds llmsim in ./build (Release, 2 parallel jobs by default).
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"${JOBS:-2}"
