#!/bin/sh
# Regenerates the images of docs/seeds/ (docs/seeds/img/*.png) with `llmsim plot`.
# Usage: scripts/make-seed-plots.sh [BUILD_DIR]   (default: build; needs app/llmsim built there
# and python3-matplotlib). Takes about half a minute.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
L=${LLMSIM:-$BUILD/app/llmsim}
OUT=$ROOT/docs/seeds/img
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
cd "$WORK"

# Seed 004: Gemma-3-1B decode against the measured 21 GB/s (dashed) and the 88 GB/s datasheet.
"$L" run "$ROOT/scenarios/seed004-gemma3-1b-ddr5-desktop.yaml" --out s4 --quiet
"$L" plot roofline s4/a-measured-read-21 --title "seed 004: Gemma-3-1B q8_0, DDR5-5500 desktop at the measured 21 GB/s" \
  -o "$OUT/seed004-gemma-roofline.png"

# Seed 001: the V100 in f16 streaming 18 of 40 layers over PCIe 3 (copies against compute),
# and the H200 in bf16 (launch-bound decode far below both roofs).
"$L" run "$ROOT/scenarios/seed001-llama32-vision-h200-vs-v100.yaml" --out s1 --quiet
"$L" plot timeline s1/v100-f16-offload/trace.json --title "seed 001: V100 f16 with CPU offload (prefill and 2 decode steps)" \
  -o "$OUT/seed001-v100-offload-timeline.png"
"$L" plot roofline s1/h200-bf16 --title "seed 001: Llama-3.2-11B-Vision bf16 on an H200, one document" \
  -o "$OUT/seed001-h200-roofline.png"
echo "wrote $OUT"
