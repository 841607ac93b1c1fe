#!/bin/sh
# The README's first command: install dependencies, build, run the default scenario.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/app/llmsim run scenarios/default.yaml --out results/default
