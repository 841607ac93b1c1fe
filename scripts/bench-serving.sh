#!/bin/sh
# Times the serving benchmark on one core: 10,000 requests of Llama-3-70B tp=8 on a DGX H100.
# Prints the wall time and the simulated requests per wall second.
set -eu
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
taskset -c 0 build/app/llmsim serve tests/bench/serve-10k-llama3-70b-tp8.yaml --out "$out" --quiet
end=$(date +%s.%N)
python3 - "$out/serve.json" "$start" "$end" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
wall = float(sys.argv[3]) - float(sys.argv[2])
sim = j["simulation"]
print(f"{j['requests']} requests simulated in {wall:.2f} s wall on one core: {j['requests'] / wall:.0f} requests/s; "
      f"{sim['step_graphs_simulated']} step graphs simulated ({sim['simulated_ops']:.0f} ops), {sim['memo_hits']} memo hits; "
      f"simulated makespan {j['makespan_s']:.0f} s, {j['output_tokens_per_s']:.0f} output tokens/s")
PY
