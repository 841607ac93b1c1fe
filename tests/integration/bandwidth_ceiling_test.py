#!/usr/bin/env python3
"""For every catalog system and every Llama model we ship, decode tokens/s must not exceed
the bandwidth ceiling: datasheet bandwidth / bytes that must be read per token. The bytes
are worked out here from the config and the q4_k_m block sizes, independently of llmsim:
at least every weight except the embedding table (a gather reads one row of it)."""
import concurrent.futures
import glob
import json
import os
import subprocess
import sys

import yaml

LLMSIM = os.environ["LLMSIM"]
SOURCE = os.environ["LLMSIM_SOURCE_DIR"]
MODELS = ["llama-2-7b", "llama-2-70b", "llama-3-8b", "llama-3-70b", "llama-3.1-8b", "llama-3.3-70b"]
Q4_K_BITS = 144 * 8 / 256  # the smallest format in the q4_k_m mix


def default_device(system):
    for kind in ["gpu", "npu", "cpu"]:
        for d in system["devices"]:
            if d["kind"] == kind:
                return d


def min_bytes_per_token(model_id):
    c = json.load(open(os.path.join(SOURCE, "workloads", "models", model_id + ".json")))
    h, inter, layers = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    heads, kv = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"])
    hd = h // heads
    per_layer = h * heads * hd * 2 + h * kv * hd * 2 + 3 * h * inter
    output = c["vocab_size"] * h  # untied LM head
    return (layers * per_layer + output) * Q4_K_BITS / 8


def check(hardware_file, model_id):
    system = yaml.safe_load(open(hardware_file))
    parts = system
    if "node" in system:  # a cluster: its default device and memory are its first node's
        parts = yaml.safe_load(open(os.path.join(os.path.dirname(hardware_file), system["node"] + ".yaml")))
    device = default_device(parts)
    memory = next(m for m in parts["memories"] if m["id"] == device["memory"])
    ceiling = memory["bandwidth_gbs"]["value"] * 1e9 / min_bytes_per_token(model_id)
    out = subprocess.run([LLMSIM, "predict", "--hardware", system["id"], "--model", model_id, "--dtype", "q4_k_m",
                          "--prompt", "0", "--gen", "2", "--json"], capture_output=True, text=True)
    if out.returncode not in (0, 3):
        return f"{system['id']} {model_id}: llmsim failed: {out.stderr.strip()}"
    tps = json.loads(out.stdout)["decode_tokens_per_s"]
    if not (0 < tps <= ceiling):
        return f"{system['id']} {model_id}: {tps:.2f} tokens/s exceeds the ceiling {ceiling:.2f}"
    return None


def main():
    files = sorted(glob.glob(os.path.join(SOURCE, "hwmodels", "catalog", "*.yaml")))
    jobs = [(f, m) for f in files for m in MODELS]
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        failures = [r for r in pool.map(lambda j: check(*j), jobs) if r]
    for failure in failures:
        print(failure)
    print(f"{len(jobs)} predictions checked, {len(failures)} above their bandwidth ceiling or failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
