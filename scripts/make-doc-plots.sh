#!/bin/sh
# Regenerates the example images of docs/plots.md (docs/plots/*.png) with `llmsim plot`.
# Usage: scripts/make-doc-plots.sh [BUILD_DIR]   (default: build; needs app/llmsim and
# validate/runner/llmsim-bench built there, and python3-matplotlib). Takes a few minutes:
# the validation example simulates llama-bench steps.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
L=${LLMSIM:-$BUILD/app/llmsim}
B=${LLMSIM_BENCH:-$BUILD/validate/runner/llmsim-bench}
OUT=$ROOT/docs/plots
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
cd "$WORK"

# Roofline and timeline: the seed-002 Phoenix APU variant with attention on the NPU and the
# MLP on the iGPU (its trace ships in docs/traces/), and the default scenario (RTX 4090).
T=$ROOT/docs/traces/seed002-b-npu-attention-igpu-mlp.trace.json.gz
"$L" plot roofline "$T" --hardware ryzen-7840u -o "$OUT/roofline-seed002.png"
"$L" run "$ROOT/scenarios/default.yaml" --out default --quiet
"$L" plot roofline default -o "$OUT/roofline-default.png"
"$L" plot timeline "$T" -o "$OUT/timeline-seed002.png"

# Tokens/s against batch and context: a real `llmsim sweep` over hardware x batch x prompt.
cat > sweep.yaml <<'YAML'
name: llama-3-8b-vllm-bf16
hardware: h100-sxm5-80gb
model: llama-3-8b
software: vllm
dtype: bf16
kv_dtype: bf16
batch: 1
prompt: 512
gen: 128
YAML
"$L" sweep sweep.yaml --set hardware=h100-sxm5-80gb,a100-sxm4-80gb,rtx-4090 --set batch=1,2,4,8,16,32,64 \
  --set prompt=512,4096 -o sweep.csv 2> /dev/null || true   # points that do not fit are rows too
"$L" plot sweep sweep.csv --x batch --series hardware --where prompt=512 -o "$OUT/sweep-batch.png"
"$L" plot sweep sweep.csv --x prompt --y output_tokens_per_s --series hardware --where batch=8 \
  -o "$OUT/sweep-context.png"

# Predicted vs measured: the public llama-bench rows of two GPUs, validated and merged.
"$B" import-csv "$ROOT/validate/data/public_llamacpp.csv" -o llamacpp.pb > /dev/null
"$B" import-csv "$ROOT/validate/data/public_kernels.csv" -o kernels.pb > /dev/null
"$L" validate --measurements llamacpp.pb --hardware rtx-4090 --software llama.cpp --skip-other-hardware \
  --csv v1.csv > /dev/null
"$L" validate --measurements llamacpp.pb --hardware rtx-3090 --software llama.cpp --skip-other-hardware \
  --csv v2.csv > /dev/null
"$L" validate --measurements kernels.pb --hardware h100-sxm5-80gb --skip-other-hardware --csv v3.csv > /dev/null
{ cat v1.csv; tail -n +2 v2.csv; tail -n +2 v3.csv; } > predicted.csv
"$L" plot validation predicted.csv -o "$OUT/validation.png"

# Serving latency CDFs at two arrival rates, and the cost/goodput front of the shipped plan.
"$L" serve "$ROOT/scenarios/serve-llama3-8b-h100.yaml" --requests 400 --rate 20 --out serve20 --quiet
"$L" serve "$ROOT/scenarios/serve-llama3-8b-h100.yaml" --requests 400 --rate 30 --out serve30 --quiet
"$L" plot latency serve20 serve30 --labels "20 req/s,30 req/s" -o "$OUT/latency.png"
"$L" plan "$ROOT/scenarios/plan-llama3-8b-20rps-h100.yaml" --out plan > /dev/null 2>&1
"$L" plot pareto plan -o "$OUT/pareto.png"
ls -l "$OUT"
