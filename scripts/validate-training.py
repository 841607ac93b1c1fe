#!/usr/bin/env python3
"""Compares `llmsim train` with the corpus's published training throughputs (tokens/s per GPU)
on H100/H800 clusters and A100/A800 nodes: every row whose model, layout and sequence length the
corpus states and llmsim can express. Megatron-style stacks (Megatron-LM, NeMo, FlagScale,
nanotron) run the `megatron` profile.

Usage: scripts/validate-training.py [--llmsim build/app/llmsim] [--out validate/data/fits/FILE.csv] [--fit]
Writes one line per row (predicted, measured, error) and prints the median absolute error per
source and overall. Rows left out are listed with the reason.

--fit: the megatron profile's Hopper GEMM fraction is fitted leaving one source out at a time
(each row's step time is solved as a + b / fraction from two bracketing runs), and each source is
then predicted by a real run with the fraction fitted without it: the errors printed are held out
by source. The fit on all sources is written into hwmodels/profiles/megatron.yaml with the rows
it came from, and the folds into FILE_hopper_fit.csv. Without --fit, the shipped profile is used
as is (then the errors of the Hopper rows are in sample).
"""
import argparse
import concurrent.futures
import csv
import datetime
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
    # nanotron's scaling-benchmark sizes (workloads/models/SOURCES.md: from its config generator).
    "Llama-style 1.34B (nanotron benchmark)": "nanotron-llama-1.34b",
    "Llama-style 3.57B (nanotron benchmark)": "nanotron-llama-3.57b",
    "Llama-style 8.86B (nanotron benchmark)": "nanotron-llama-8.86b",
    "Llama-style 80.0B (nanotron benchmark)": "nanotron-llama-80b",
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
    zero, notes = int(f.get("zero", 0)), []
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
# nanotron (Hugging Face's 3D-parallel trainer) runs the same structure: fused QKV and gate/up
# linears, flash attention, one-kernel RMSNorm (TritonRMSNorm), bf16 with fp32 gradient
# accumulation, and sequence parallelism (`tp_mode: REDUCE_SCATTER` in its benchmark base config
# examples/config_tiny_llama_bench.yaml); its ZeRO stage is stated per row, not assumed.
NANOTRON = re.compile(r"nanotron")


def row_precision(row):
    """Megatron-based stacks (Megatron-LM, NeMo, FlagScale) keep bf16 weights with fp32 main
    copies and no autocast casts (mixed-bf16), with Transformer Engine FP8 GEMMs when the row
    says FP8; PyTorch FSDP stacks (torchtitan, fms-fsdp) run torch.autocast (amp-bf16)."""
    fp8 = "fp8" in row["dtype"].lower()
    if MEGATRON.search(row["software"]) or NANOTRON.search(row["software"]):
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


def prepare(row, tmp):
    """The row's scenario fields and notes, or a reason to leave it out."""
    if row["metric"] != "training_throughput" or row["unit"] != "tokens/s/gpu":
        return None
    a100_class = ("A800-SXM4-80GB" in row["hardware"] or "A100 80GB" in row["hardware"]) and "128x" not in row["hardware"]
    h800 = "H800 80GB" in row["hardware"]
    if ("H100" not in row["hardware"] or "96GB" in row["hardware"]) and not a100_class and not h800:
        return "not an H100/H800 80GB cluster or one A100/A800 node"
    if row["model"] not in MODELS:
        return "no config for the model"
    f = fields(row["backend"])
    gpus = int(f.get("gpus", 0))
    seq = int(row["prompt_len"] or f.get("seq_len", 0) or 0)
    if not seq:
        return "sequence length not stated"
    lay = layout(row, f, gpus)
    if isinstance(lay, str):
        return lay
    hw = "dgx-a100" if a100_class and gpus == 8 else cluster(gpus, tmp, "dgx-h800" if h800 else "dgx-h100")
    if not hw:
        return f"{gpus} GPUs is not whole DGX nodes"
    tp, cp, pp, vp, dp, zero, mbs, acc, ac, notes = lay
    megatron = bool(MEGATRON.search(row["software"]))
    nanotron = bool(NANOTRON.search(row["software"]))
    if zero == 0 and dp * cp > 1 and megatron and "zero" not in f:
        zero = 1  # the distributed optimizer (MEGATRON's comment)
    # Sequence parallelism with tensor parallelism: FlagPerf's launch scripts pass
    # --sequence-parallel, NeMo's Llama recipes set sequence_parallel=True where tp > 1.
    sp = (megatron or nanotron) and tp > 1
    if "A800" in row["hardware"]:
        notes.append("A800 modelled as A100 SXM4 (NVLink 600 GB/s where the A800 has 400)")
    if h800 and "200Gb/s" in row["hardware"]:
        notes.append("DGX H800 nodes on the DGX H100 fabric (400 Gb/s per GPU) where the row says 200 Gb/s")
    return {"row": row, "gpus": gpus, "seq": seq, "hw": hw, "hopper": not a100_class,
            "software": "megatron" if megatron or nanotron else "pytorch", "precision": row_precision(row),
            "text": f"seq_len: {seq}\nbatch: {mbs}\naccumulation: {acc}\ncheckpointing: {ac}\n"
                    f"flash_attention: true\nfused_optimizer: true\ntp: {tp}\npp: {pp}\ndp: {dp}\nzero: {zero}\n"
                    f"sequence_parallel: {str(sp).lower()}\ncp: {cp}\nvp: {vp}\n",
            "mbs": mbs, "acc": acc, "ac": ac, "notes": notes}


def megatron_profile(tmp, fraction, basis):
    """A copy of the megatron profile whose fitted Hopper block states `fraction`, written once
    per fraction (the runs read it from two threads, so it is never rewritten while in use)."""
    path = os.path.join(tmp, f"megatron-{fraction:.4f}.yaml")
    if not os.path.exists(path):
        text = open(os.path.join(ROOT, "hwmodels", "profiles", "megatron.yaml")).read()
        with open(path + ".part", "w") as f:
            f.write(with_hopper_block(text, fraction, basis))
        os.replace(path + ".part", path)
    return path


def with_hopper_block(text, fraction, basis):
    begin = text.index("    # FITTED-HOPPER-BEGIN")
    end = text.index("    # FITTED-HOPPER-END")
    block = ("    # FITTED-HOPPER-BEGIN (scripts/validate-training.py --fit rewrites this block)\n"
             f"    basis: {json.dumps(basis)}\n    matmul:\n      max_fraction: {fraction:.4f}\n")
    return text[:begin] + block + text[end:]


def run(llmsim, case, tmp, software, tag):
    """tokens/s per GPU and the train.json of one case, or the reason llmsim refused it."""
    row = case["row"]
    scenario = os.path.join(tmp, f"r{row['id']}-{tag}.yaml")
    with open(scenario, "w") as out:
        out.write(f"hardware: {case['hw']}\nmodel: {MODELS[row['model']]}\nsoftware: {software}\n"
                  f"precision: {case['precision']}\n" + case["text"])
    out_dir = os.path.join(tmp, f"{row['id']}-{tag}")
    res = subprocess.run([llmsim, "train", scenario, "--out", out_dir, "--quiet"], capture_output=True, text=True)
    path = os.path.join(out_dir, "train.json")
    if not os.path.exists(path):
        return None, "llmsim refused: " + res.stderr.strip()[:200]
    j = json.load(open(path))
    return j["tokens_per_s"] / case["gpus"], j


def run_all(llmsim, cases, tmp, software_of, tag):
    """Runs every case two at a time (the machine's two cores); software_of(case) picks the profile."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda c: run(llmsim, c, tmp, software_of(c), tag), cases))


def source_of(case):
    return case["row"]["source"].split(" ")[0]


def fit_fraction(cases, lo, hi, lo_run, hi_run):
    """The Hopper GEMM fraction that minimises the median |error| over these cases: each case's
    step time is t(f) = a + b / f, solved from its runs at fractions lo and hi."""
    terms = []
    for c, (p_lo, _), (p_hi, _) in zip(cases, lo_run, hi_run):
        if p_lo is None or p_hi is None:
            continue
        t_lo, t_hi = 1 / p_lo, 1 / p_hi
        b = (t_lo - t_hi) / (1 / lo - 1 / hi)
        terms.append((t_lo - b / lo, b, float(c["row"]["value"])))
    best = None
    for i in range(301):
        f = 0.35 + i * 0.002
        err = statistics.median(abs(1 / (a + b / f) / m - 1) for a, b, m in terms)
        if best is None or err < best[1]:
            best = (f, err)
    return best[0], len(terms)


def result_row(case, predicted, j, fraction):
    row = case["row"]
    measured = float(row["value"])
    return {"id": row["id"], "source": source_of(case), "model": row["model"], "gpus": case["gpus"],
            "layout": j["layout"]["description"], "seq_len": case["seq"], "micro_batch": case["mbs"],
            "accumulation": case["acc"], "checkpointing": case["ac"], "precision": case["precision"],
            "fits": j["fits"], "hopper_gemm_fraction": fraction if case["hopper"] else "",
            "measured_tokens_per_s_per_gpu": measured, "predicted_tokens_per_s_per_gpu": round(predicted, 1),
            "error": round(predicted / measured - 1, 4), "notes": "; ".join(case["notes"])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--llmsim", default=os.path.join(ROOT, "build", "app", "llmsim"))
    ap.add_argument("--out", default=os.path.join(ROOT, "validate", "data", "fits", "training_validation.csv"))
    ap.add_argument("--fit", action="store_true",
                    help="fit the megatron profile's Hopper GEMM fraction leaving each source out, predict that "
                         "source with its fold's value, and write the all-source fit into the profile")
    args = ap.parse_args()
    rows = list(csv.DictReader(open(os.path.join(ROOT, "validate", "data", "corpus", "mlperf_training.csv"))))
    results, skipped = [], []
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        for row in rows:
            case = prepare(row, tmp)
            if isinstance(case, str):
                skipped.append((row["id"], row["model"], case))
            elif case:
                cases.append(case)
        if args.fit:
            fold_fraction, fits = fit_folds(args.llmsim, cases, tmp)
        else:
            fold_fraction, fits = {}, []
        fold_profile = {s: megatron_profile(tmp, f, "fold") for s, f in fold_fraction.items()}
        def software_of(c):
            if c["software"] == "megatron" and source_of(c) in fold_profile:
                return fold_profile[source_of(c)]
            return c["software"]
        for case, (predicted, j) in zip(cases, run_all(args.llmsim, cases, tmp, software_of, "final")):
            if predicted is None:
                skipped.append((case["row"]["id"], case["row"]["model"], j))
                continue
            results.append(result_row(case, predicted, j, fold_fraction.get(source_of(case), "")))
    write_csv(args.out, results)
    if fits:
        write_csv(args.out.replace(".csv", "_hopper_fit.csv"), fits)
    report(results, skipped, args.out)


def fit_folds(llmsim, cases, tmp):
    """Leave-one-source-out fits of the Hopper GEMM fraction; the all-source fit goes into the
    shipped profile. Returns {held-out source: its fold's fraction} and the fit table."""
    lo, hi = 0.55, 0.85
    fitted = [c for c in cases if c["hopper"] and c["software"] == "megatron"]
    print(f"fitting on {len(fitted)} Hopper rows: two runs each at GEMM fractions {lo} and {hi}", file=sys.stderr)
    lo_profile, hi_profile = megatron_profile(tmp, lo, "bracket"), megatron_profile(tmp, hi, "bracket")
    lo_run = run_all(llmsim, fitted, tmp, lambda c: lo_profile, "lo")
    hi_run = run_all(llmsim, fitted, tmp, lambda c: hi_profile, "hi")
    fold_fraction, table = {}, []
    sources = sorted({source_of(c) for c in cases})
    for held in sources + ["(none: shipped profile)"]:
        keep = [i for i, c in enumerate(fitted) if source_of(c) != held]
        f, n = fit_fraction([fitted[i] for i in keep], lo, hi, [lo_run[i] for i in keep], [hi_run[i] for i in keep])
        used = sorted({source_of(fitted[i]) for i in keep})
        table.append({"held_out": held, "fraction": f, "rows": n, "sources": " ".join(used),
                      "row_ids": " ".join(fitted[i]["row"]["id"] for i in keep)})
        if held in sources:
            fold_fraction[held] = f
        print(f"  without {held}: fraction {f:.3f} from {n} rows", file=sys.stderr)
    shipped = table[-1]
    path = os.path.join(ROOT, "hwmodels", "profiles", "megatron.yaml")
    basis = (f"Hopper GEMM fraction {shipped['fraction']:.3f} fitted by scripts/validate-training.py --fit "
             f"({datetime.date.today()}) on {shipped['rows']} published training throughputs of Megatron-style stacks (Megatron-LM, NeMo, FlagScale, nanotron) "
             f"(rows {shipped['row_ids']} of validate/data/corpus/mlperf_training.csv; sources {shipped['sources']}): "
             f"the fraction minimising their median |error|")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(with_hopper_block(text, shipped["fraction"], basis))
    return fold_fraction, table


def write_csv(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else ["id"])
        w.writeheader()
        w.writerows(rows)


def report(results, skipped, out):
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
    print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
