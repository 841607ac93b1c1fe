#!/bin/sh
# `cmake --install` puts bin/llmsim and its data under a prefix; the installed binary must
# answer from any directory, with no source tree around.
set -eu
build="$1"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
cd /
env -u LLMSIM_DATA_DIR "$prefix/bin/llmsim" predict --hardware rtx-4090 --model llama-3-8b --dtype q4_k_m \
  --prompt 0 --gen 4 --json | grep -q '"decode_tokens_per_s"'
env -u LLMSIM_DATA_DIR "$prefix/bin/llmsim" run default --out "$prefix/results" --quiet
test -s "$prefix/results/result.json"
echo "installed llmsim works from /"
