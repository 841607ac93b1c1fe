#!/usr/bin/env python3
"""Calibration on real GPU measurements: the llmsim-bench CUDA records taken on an H100 SXM5
(validate/data/h100-sxm5-80gb/, SOURCES in its README.md). The expected figures are worked
out here from the records themselves and from NVIDIA's datasheet, not from llmsim's output:

- the copy rate of the 1 GiB records (bytes read + written / median time, computed below
  from the exported CSV) bounds what the fitted memory path may stream, and the datasheet's
  3350 GB/s bounds it from above;
- the fitted GEMM ceiling must sit near the best bf16 GEMM the records show over the
  datasheet's 989.5 dense bf16 TFLOP/s;
- cross-validated error (shapes the fit did not see) must fall, and stay below 8% median.
"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

LLMSIM, BENCH, SOURCE = os.environ["LLMSIM"], os.environ["LLMSIM_BENCH"], os.environ["LLMSIM_SOURCE_DIR"]
RECORDS = os.path.join(SOURCE, "validate", "data", "h100-sxm5-80gb", "h100-cuda-full.pb")
DATASHEET_BANDWIDTH_GBS = 3350.0  # NVIDIA H100 SXM5 datasheet, HBM3
DATASHEET_BF16_TFLOPS = 989.5     # dense, same datasheet (1979 with sparsity)
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def run(*args):
    out = subprocess.run(list(args), capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(args)}: exit {out.returncode}\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return out.stdout


def main():
    rows = list(csv.DictReader(io.StringIO(run(BENCH, "export", "--csv", RECORDS))))
    check(len(rows) == 178, f"expected 178 records, got {len(rows)}")
    check(all(r["verified"] == "true" for r in rows), "a record not checked against its reference")
    copy_1g = [float(r["bytes_moved"]) / float(r["median_s"]) / 1e9 for r in rows
               if r["kernel"] == "copy" and int(r["bytes"]) == 1 << 30]
    gemm_bf16 = [float(r["flops"]) / float(r["min_s"]) / 1e12 for r in rows
                 if r["kernel"] == "gemm" and r["dtype"] == "bf16" and int(r["m"]) >= 4096]
    check(len(copy_1g) == 2 and len(gemm_bf16) >= 4, f"records lack 1 GiB copies or large bf16 GEMMs")
    measured_stream = max(copy_1g)
    gemm_fraction = max(gemm_bf16) / DATASHEET_BF16_TFLOPS

    work = tempfile.mkdtemp(prefix="llmsim-h100-")
    report_path = os.path.join(work, "report.json")
    run(LLMSIM, "calibrate", "--measurements", RECORDS, "--hardware", "h100-sxm5-80gb", "-o",
        os.path.join(work, "h100.yaml"), "--report-json", report_path)
    report = json.load(open(report_path))
    p = {k: v["fitted"] for k, v in report["parameters"].items()}
    stream = p["bandwidth_gbs"] * p["memory.kernel_fraction"]
    check(abs(stream - measured_stream) / measured_stream < 0.05,
          f"fitted stream rate {stream:.0f} GB/s vs 1 GiB copies {measured_stream:.0f} GB/s")
    check(p["bandwidth_gbs"] <= DATASHEET_BANDWIDTH_GBS * 1.001,
          f"fitted bandwidth {p['bandwidth_gbs']:.0f} GB/s above the datasheet's {DATASHEET_BANDWIDTH_GBS}")
    check(abs(p["matmul.max_fraction"] - gemm_fraction) < 0.08,
          f"GEMM ceiling {p['matmul.max_fraction']:.3f} vs best bf16 GEMM {gemm_fraction:.3f} of the datasheet peak")
    before, after = report["before"]["overall"], report["held_out"]["overall"]
    check(after["median_abs_error_pct"] < before["median_abs_error_pct"],
          f"held-out median error did not fall: {before['median_abs_error_pct']:.1f}% -> "
          f"{after['median_abs_error_pct']:.1f}%")
    check(after["median_abs_error_pct"] < 8.0, f"held-out median error {after['median_abs_error_pct']:.1f}% >= 8%")
    print(f"copy 1 GiB {measured_stream:.0f} GB/s, fitted {stream:.0f}; bf16 GEMM {gemm_fraction:.3f} of peak, "
          f"fitted ceiling {p['matmul.max_fraction']:.3f}; held-out median {before['median_abs_error_pct']:.1f}% -> "
          f"{after['median_abs_error_pct']:.1f}%")
    if failures:
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
