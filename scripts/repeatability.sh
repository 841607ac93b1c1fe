#!/bin/sh
# Run-to-run repeatability of the CPU runner (issue #6): the `repeat` suite (triad 1 GiB and
# sgemm 512x4096x4096 on 1 and 2 threads) N times back to back, then the median and the
# fastest sample of each case compared across the runs. Exit code: 0 when every case's
# median repeats within the tolerance, 6 when one does not (llmsim-bench compare).
# Usage: scripts/repeatability.sh [RUNS=5] [OUT_DIR=build/repeatability] [TOLERANCE_PCT=5]
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
out=${2:-build/repeatability}
tolerance=${3:-5}
bench=build/validate/runner/llmsim-bench
[ -x "$bench" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
mkdir -p "$out"
files=""
i=1
while [ "$i" -le "$runs" ]; do
  echo "run $i of $runs ($(date +%T))"
  "$bench" run --backend cpu --suite validate/runner/suites/repeat.yaml -o "$out/run$i.pb"
  files="$files $out/run$i.pb"
  i=$((i + 1))
done
# shellcheck disable=SC2086  # one argument per file
"$bench" compare --stat min --tolerance "$tolerance" $files || true
"$bench" compare --tolerance "$tolerance" $files
