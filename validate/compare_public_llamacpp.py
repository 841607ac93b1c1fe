#!/usr/bin/env python3
"""Predict every llama.cpp measurement in validate/data/public_llamacpp.csv (rows 1-34 of
the project's public measurement set, each with its source) and print prediction and
measurement side by side with the error of each row and the median absolute error.

llama-bench's pp512 is `--prompt 512 --gen 0` (prefill tokens/s) and tgN is
`--prompt 0 --gen N` (decode tokens/s).

Usage: compare_public_llamacpp.py --llmsim PATH [--csv OUT.csv] [--max-median-error PCT]
Exit status 1 when --max-median-error is given and exceeded.
"""
import argparse
import concurrent.futures
import csv
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Published hardware description -> (catalog id, caveat)
HARDWARE = {
    "NVIDIA GeForce RTX 4090 24GB (GDDR6X)": ("rtx-4090", ""),
    "NVIDIA GeForce RTX 3090 24GB (GDDR6X)": ("rtx-3090", ""),
    "NVIDIA A100 80GB PCIe (HBM2e)": ("a100-pcie-80gb", ""),
    "NVIDIA A100-SXM4-80GB (HBM2e); host AMD EPYC 7763": ("a100-sxm4-80gb", ""),
    "NVIDIA H100 PCIe 80GB (HBM2e)": ("h100-pcie-80gb", ""),
    "Apple M1 (7-core GPU) 8GB, MacBook Air 13in": ("apple-m1", "catalog M1 has the 8-core GPU: prefill ~14% high"),
    "Apple M1 Max (32-core GPU) 64GB, MacBook Pro 14in": ("apple-m1-max", ""),
    "Apple M2 Ultra (76-core GPU) 192GB, Mac Studio": ("apple-m2-ultra", ""),
    "Apple M3 Max (40-core GPU) 64GB, MacBook Pro 16in": ("apple-m3-max", ""),
}
MODELS = {"Meta-Llama-3-8B": "llama-3-8b", "Meta-Llama-3-70B": "llama-3-70b"}


def dtype_of(text):
    name = text.split(" ")[0].lower()
    return {"q4_k_m": "q4_k_m", "f16": "f16"}[name]


def predict(llmsim, row):
    hardware, caveat = HARDWARE[row["hardware"]]
    prompt, gen = int(row["prompt_len"]), int(row["gen_len"])
    cmd = [llmsim, "predict", "--hardware", hardware, "--model", MODELS[row["model"]], "--dtype",
           dtype_of(row["dtype"]), "--software", "llama.cpp", "--batch", row["batch"], "--prompt", str(prompt),
           "--gen", str(gen), "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode not in (0, 3):
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr.strip()}")
    result = json.loads(out.stdout)
    key = "prefill_tokens_per_s" if row["metric"] == "prefill_throughput" else "decode_tokens_per_s"
    return hardware, caveat, result[key], result["prefill" if prompt else "decode"]["bound"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llmsim", required=True)
    parser.add_argument("--data", default=os.path.join(HERE, "data", "public_llamacpp.csv"))
    parser.add_argument("--csv", help="write the side-by-side table here")
    parser.add_argument("--max-median-error", type=float, help="fail if the median |error| %% exceeds this")
    args = parser.parse_args()

    with open(args.data, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["software"].startswith("llama.cpp")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(lambda r: predict(args.llmsim, r), rows))

    table = []
    for row, (hardware, caveat, predicted, bound) in zip(rows, results):
        measured = float(row["value"])
        error = 100.0 * (predicted - measured) / measured
        test = ("pp" + row["prompt_len"]) if row["metric"] == "prefill_throughput" else ("tg" + row["gen_len"])
        table.append({"id": row["id"], "hardware": hardware, "model": MODELS[row["model"]],
                      "dtype": dtype_of(row["dtype"]), "test": test, "measured_tok_s": measured,
                      "predicted_tok_s": round(predicted, 2), "error_pct": round(error, 1), "bound": bound,
                      "caveat": caveat})

    print(f"{'id':>3} {'hardware':<16} {'model':<12} {'dtype':<7} {'test':<7} {'measured':>9} {'predicted':>9} "
          f"{'error':>7}  bound")
    for t in table:
        print(f"{t['id']:>3} {t['hardware']:<16} {t['model']:<12} {t['dtype']:<7} {t['test']:<7} "
              f"{t['measured_tok_s']:>9.2f} {t['predicted_tok_s']:>9.2f} {t['error_pct']:>+6.1f}%  {t['bound']}"
              + (f"  ({t['caveat']})" if t["caveat"] else ""))
    errors = [abs(t["error_pct"]) for t in table]
    decode = [abs(t["error_pct"]) for t in table if t["test"].startswith("tg")]
    prefill = [abs(t["error_pct"]) for t in table if t["test"].startswith("pp")]
    median = statistics.median(errors)
    print(f"\nrows {len(table)}: median |error| {median:.1f}%, mean {statistics.mean(errors):.1f}%, "
          f"worst {max(errors):.1f}%; decode median {statistics.median(decode):.1f}% ({len(decode)} rows), "
          f"prefill median {statistics.median(prefill):.1f}% ({len(prefill)} rows)")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(table[0].keys()))
            writer.writeheader()
            writer.writerows(table)
    if args.max_median_error is not None and median > args.max_median_error:
        print(f"median |error| {median:.1f}% exceeds the bound {args.max_median_error}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
