#!/bin/sh
# Times a plan search over 200 configurations (tests/bench/plan-200.yaml) on 2 cores and
# prints the wall time.
set -eu
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
build/app/llmsim plan tests/bench/plan-200.yaml --out "$out" -j 2 > "$out/plan.txt" 2> "$out/progress.txt"
end=$(date +%s.%N)
points=$(($(wc -l < "$out/plan.csv") - 1))
python3 -c "import sys; print(f'{sys.argv[1]} configurations planned in {float(sys.argv[3]) - float(sys.argv[2]):.1f} s wall on 2 cores')" \
  "$points" "$start" "$end"
tail -3 "$out/plan.txt"
