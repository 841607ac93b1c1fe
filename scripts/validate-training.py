#!/usr/bin/env python3
"""Compares `llmsim train` with the corpus's published training throughputs (tokens/s per GPU)
on H100 clusters: every row whose model, layout and sequence length the corpus states and
llmsim can express (BF16 or AMP, Llama models llmsim has configs for). Nothing is fitted on
these rows, so each error is already held out from its source.

Usage: scripts/validate-training.py [--llmsim build/app/llmsim] [--out validate/data/fits/FILE.csv]
Writes one line per row (predicted, measured, error) and prints the median absolute error per
source and overall. Rows left out are listed with the reason.
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = {
    "llama3_8b": "llama-3-8b", "llama3_70b": "llama-3-70b", "llama2_7b": "llama-2-7b", "llama2_70b": "llama-2-70b",
    "Llama 3.1 8B": "llama-3.1-8b", "Llama 3.1 70B": "llama-3.1-70b",
    "Llama2-architecture 7b (IBM FMS)": "llama-2-7b", "Llama2-architecture 13b (IBM FMS)": "llama-2-13b",
    "Llama2-architecture 70b (IBM FMS)": "llama-2-70b", "mixtral_8x7B": "mixtral-8x7b",
    "LLAMA2-7B": "llama-2-7b", "LLAMA2-13B": "llama-2-13b", "LLAMA2-70B": "llama-2-70b", "LLAMA3-8B": "llama-3-8b",
    "LLAMA3-70B": "llama-3-70b", "LLAMA3-405B": "llama-3.1-405b",
    # NeMo's GPT-3 and Nemotron sizes (workloads/models/SOURCES.md: from NeMo's model classes).
    "GPT3-5B": "gpt3-5b", "GPT3-20B": "gpt3-20b", "GPT3-175B": "gpt3-175b",
    "Nemotron-8B": "nemotron-3-8b", "Nemotron-22B": "nemotron-3-22b", "Nemotron-15B": "nemotron-4-15b",
    "Nemotron-340B": "nemotron-4-340b",
}


def fields(backend):
    out = {}
    for part in backend.split(";"):
        if "=" in part:
            k, v = part.strip().split("=", 1)
            out[k.strip()] = v.strip()
    return out


def layout(row, f, gpus):
    """(tp, cp, pp, vp, dp, zero, micro-batch, accumulation, checkpointing, notes) or a reason to skip."""
    tp, pp, cp = int(f.get("tp", 1)), int(f.get("pp", 1)), int(f.get("cp", 1))
    zero, notes = 0, []
    if "fsdp" in f:
        dp, zero = int(f["fsdp"]), 3
    elif f.get("sharding") in ("FSDP", "HSDP"):
        dp, zero = gpus // (tp * pp * cp), 3
        if f["sharding"] == "HSDP":
            notes.append("HSDP modelled as full sharding")
    else:
        dp = int(f.get("dp", gpus // (tp * pp * cp)))
    if tp * pp * dp * cp != gpus:
        return f"tp x cp x pp x dp = {tp * pp * dp * cp} is not the {gpus} GPUs"
    mbs = int(f.get("mbs", f.get("local_batch", row["batch"] or 0) or 0))
    if mbs < 1:
        return "no micro-batch size"
    gas = f.get("gas", f.get("ga"))
    if not gas and "gbs" in f:  # global batch = micro-batch x accumulation x data-parallel replicas
        gas = str(max(1, int(f["gbs"]) // (mbs * dp)))
    m = re.search(r"GAS=(\d+)", f.get("fix_hp", ""))
    if m:
        gas = m.group(1)
    m = re.search(r"gbs=(\d+)", f.get("fix_hp", ""))  # a run's own global batch overrides the default
    if m:
        gas = str(max(1, int(m.group(1)) // (mbs * dp)))
    if gas:
        accumulation = int(gas)
    else:
        accumulation = 4 * pp if pp > 1 else 1
        notes.append(f"micro-batches per step not stated: {accumulation} assumed")
    if f.get("recompute") == "selective":
        ac = "selective"
    elif f.get("recompute") == "1" or f.get("ac") == "full":
        ac = "full"
    else:
        ac = "none"
    vp = int(f.get("vp", 1))
    return tp, cp, pp, vp, dp, zero, mbs, accumulation, ac, notes


# Megatron-based stacks shard the fp32 main weights and Adam moments over the data-parallel
# replicas (Megatron's distributed optimizer, ZeRO-1 in llmsim's terms): NeMo's recipe optimizer
# sets `use_distributed_optimizer=True` (nemo/collections/llm/recipes/optim/adam.py), FlagPerf's
# Megatron launch scripts pass `--use-distributed-optimizer`, its Megatron-DeepSpeed config sets
# ZeRO stage 1 (training/nvidia/llama2_7b-megatron-deepspeed/config/ds_config.json), and the
# Megatron-LM rows follow NeMo's performance scripts.
MEGATRON = re.compile(r"Megatron|NeMo|FlagScale")


def row_precision(row):
    """Megatron-based stacks (Megatron-LM, NeMo, FlagScale) keep bf16 weights with fp32 main
    copies and no autocast casts (mixed-bf16), with Transformer Engine FP8 GEMMs when the row
    says FP8; PyTorch FSDP stacks (torchtitan, fms-fsdp) run torch.autocast (amp-bf16)."""
    fp8 = "fp8" in row["dtype"].lower()
    if MEGATRON.search(row["software"]):
        return "fp8" if fp8 else "mixed-bf16"
    return "fp8" if fp8 else "amp-bf16"


def cluster(gpus, tmp, node_id="dgx-h100"):
    nodes = gpus // 8
    if gpus % 8 or nodes < 1:
        return None
    if nodes == 1:
        return node_id
    if os.path.exists(os.path.join(ROOT, "hwmodels", "catalog", f"{nodes}x-{node_id}.yaml")):
        return f"{nodes}x-{node_id}"
    # The catalog's DGX H100 fabric (one 400 Gb/s NIC per GPU, rail-optimised), more nodes or
    # another node.
    with open(os.path.join(ROOT, "hwmodels", "catalog", "2x-dgx-h100.yaml")) as f:
        text = f.read()
    node = os.path.join(ROOT, "hwmodels", "catalog", f"{node_id}.yaml")
    text = text.replace("id: 2x-dgx-h100", f"id: {nodes}x-{node_id}-tmp").replace("node: dgx-h100", f"node: {node}")
    text = re.sub(r"^nodes: 2$", f"nodes: {nodes}", text, flags=re.M)
    path = os.path.join(tmp, f"{nodes}x-{node_id}-tmp.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--llmsim", default=os.path.join(ROOT, "build", "app", "llmsim"))
    ap.add_argument("--out", default=os.path.join(ROOT, "validate", "data", "fits", "training_validation.csv"))
    args = ap.parse_args()
    rows = list(csv.DictReader(open(os.path.join(ROOT, "validate", "data", "corpus", "mlperf_training.csv"))))
    results, skipped = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for row in rows:
            if row["metric"] != "training_throughput" or row["unit"] != "tokens/s/gpu":
                continue
            why = None
            a100_class = ("A800-SXM4-80GB" in row["hardware"] or "A100 80GB" in row["hardware"]) and "128x" not in row["hardware"]
            h800 = "H800 80GB" in row["hardware"]
            if ("H100" not in row["hardware"] or "96GB" in row["hardware"]) and not a100_class and not h800:
                why = "not an H100/H800 80GB cluster or one A100/A800 node"
            elif row["model"] not in MODELS:
                why = "no config for the model"
            f = fields(row["backend"])
            gpus = int(f.get("gpus", 0))
            seq = int(row["prompt_len"] or f.get("seq_len", 0) or 0)
            if not why and not seq:
                why = "sequence length not stated"
            if not why:
                lay = layout(row, f, gpus)
                why = lay if isinstance(lay, str) else None
            hw = None if why else ("dgx-a100" if a100_class and gpus == 8 else cluster(gpus, tmp, "dgx-h800" if h800 else "dgx-h100"))
            if not why and not hw:
                why = f"{gpus} GPUs is not whole DGX nodes"
            if why:
                skipped.append((row["id"], row["model"], why))
                continue
            tp, cp, pp, vp, dp, zero, mbs, acc, ac, notes = lay
            megatron = bool(MEGATRON.search(row["software"]))
            if zero == 0 and dp * cp > 1 and megatron:
                zero = 1  # the distributed optimizer (MEGATRON's comment)
            # Sequence parallelism with tensor parallelism: FlagPerf's launch scripts pass
            # --sequence-parallel, NeMo's Llama recipes set sequence_parallel=True where tp > 1.
            sp = megatron and tp > 1
            if "A800" in row["hardware"]:
                notes.append("A800 modelled as A100 SXM4 (NVLink 600 GB/s where the A800 has 400)")
            if h800 and "200Gb/s" in row["hardware"]:
                notes.append("DGX H800 nodes on the DGX H100 fabric (400 Gb/s per GPU) where the row says 200 Gb/s")
            precision = row_precision(row)
            scenario = os.path.join(tmp, f"r{row['id']}.yaml")
            with open(scenario, "w") as out:
                out.write(f"hardware: {hw}\nmodel: {MODELS[row['model']]}\nsoftware: pytorch\nprecision: {precision}\n"
                          f"seq_len: {seq}\nbatch: {mbs}\naccumulation: {acc}\ncheckpointing: {ac}\n"
                          f"flash_attention: true\nfused_optimizer: true\ntp: {tp}\npp: {pp}\ndp: {dp}\nzero: {zero}\n"
                          f"sequence_parallel: {str(sp).lower()}\ncp: {cp}\nvp: {vp}\n")
            res = subprocess.run([args.llmsim, "train", scenario, "--out", os.path.join(tmp, row["id"]), "--quiet"],
                                 capture_output=True, text=True)
            path = os.path.join(tmp, row["id"], "train.json")
            if not os.path.exists(path):
                skipped.append((row["id"], row["model"], "llmsim refused: " + res.stderr.strip()[:200]))
                continue
            j = json.load(open(path))
            predicted = j["tokens_per_s"] / gpus
            measured = float(row["value"])
            results.append({"id": row["id"], "source": row["source"].split(" ")[0], "model": row["model"],
                            "gpus": gpus, "layout": j["layout"]["description"], "seq_len": seq, "micro_batch": mbs,
                            "accumulation": acc, "checkpointing": ac, "precision": precision, "fits": j["fits"],
                            "measured_tokens_per_s_per_gpu": measured, "predicted_tokens_per_s_per_gpu": round(predicted, 1),
                            "error": round(predicted / measured - 1, 4), "notes": "; ".join(notes)})
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(results[0].keys()) if results else ["id"])
        w.writeheader()
        w.writerows(results)
    by_source = {}
    for r in results:
        by_source.setdefault(r["source"], []).append(abs(r["error"]))
    for s, e in sorted(by_source.items()):
        print(f"{s}: {len(e)} rows, median |error| {100 * statistics.median(e):.1f}%")
    if results:
        allerr = [abs(r["error"]) for r in results]
        signed = [r["error"] for r in results]
        print(f"all: {len(results)} rows, median |error| {100 * statistics.median(allerr):.1f}%, "
              f"median signed {100 * statistics.median(signed):+.1f}%")
    print(f"left out {len(skipped)} rows:")
    for s in skipped:
        print("  ", *s)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
