#!/usr/bin/env python3
"""`llmsim validate`, `calibrate` and `calibrate-profile` from the command line: public kernel
figures (GEMM TFLOP/s, copy GB/s) and llama.cpp rows imported with llmsim-bench, a calibrated
system file that predict then uses, and the errors bad measurement files get."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

LLMSIM, BENCH, SOURCE = os.environ["LLMSIM"], os.environ["LLMSIM_BENCH"], os.environ["LLMSIM_SOURCE_DIR"]
DATA = os.path.join(SOURCE, "validate", "data")
failures = []


def run(*args, expect=0, contains=()):
    out = subprocess.run(list(args), capture_output=True, text=True)
    text = out.stdout + out.stderr
    if out.returncode != expect:
        failures.append(f"{' '.join(args)}: exit {out.returncode}, expected {expect}\n{text[-2000:]}")
    for c in contains:
        if c not in text:
            failures.append(f"{' '.join(args)}: output lacks {c!r}\n{text[-2000:]}")
    return out.stdout


def main():
    work = tempfile.mkdtemp(prefix="llmsim-calibration-cli-")
    kernels = os.path.join(work, "kernels.pb")
    run(BENCH, "import-csv", os.path.join(DATA, "public_kernels.csv"), "-o", kernels)

    # Records of other GPUs are an error unless asked to leave them out.
    run(LLMSIM, "validate", "--measurements", kernels, "--hardware", "rtx-4090", expect=1,
        contains=["record 1", "measured on 'h100-sxm5-80gb'", "--skip-other-hardware"])
    csv_path = os.path.join(work, "v.csv")
    run(LLMSIM, "validate", "--measurements", kernels, "--hardware", "rtx-4090", "--skip-other-hardware",
        "--csv", csv_path, contains=["gemm", "copy", "overall", "15 record(s) of other hardware left out"])
    rows = open(csv_path).read().splitlines()
    if len(rows) != 4 or not rows[0].startswith("id,class,device"):
        failures.append(f"validate --csv: expected a header and 3 rows, got {rows}")
    stats = json.loads(run(LLMSIM, "validate", "--measurements", kernels, "--hardware", "rtx-4090",
                           "--skip-other-hardware", "--json"))
    if stats["classes"]["overall"]["count"] != 3:
        failures.append(f"validate --json: {stats}")

    # Calibrate the RTX 4090 under PyTorch from its GEMM and copy figures; the file it writes
    # is a system predict can use, with the fit's provenance.
    out = os.path.join(work, "rtx-4090-pytorch.yaml")
    report = os.path.join(work, "report.json")
    run(LLMSIM, "calibrate", "--measurements", kernels, "--hardware", "rtx-4090", "--skip-other-hardware",
        "--folds", "3", "-o", out, "--report-json", report,
        contains=["held-out error", "bandwidth_gbs", "matmul.max_fraction", "wrote"])
    text = open(out).read()
    digest = hashlib.sha256(open(kernels, "rb").read()).hexdigest()
    for needle in ("id: rtx-4090-pytorch", "calibration:", "software: pytorch", "base_system: rtx-4090",
                   f"sha256: {digest}", "measured_bandwidth_gbs:", "runner_version:", "calibrated_at:"):
        if needle not in text:
            failures.append(f"calibrated file lacks {needle!r}")
    r = json.load(open(report))
    if r["held_out"]["overall"]["count"] != 3 or not r["parameters"]["matmul.max_fraction"]["identified"]:
        failures.append(f"calibrate --report-json: {r}")
    if not r["parameters"]["matmul.max_fraction"]["fitted"] <= 1.0:
        failures.append("a fitted efficiency above 1")
    predicted = json.loads(run(LLMSIM, "predict", "--hardware", out, "--model", "llama-3-8b", "--software", "pytorch",
                               "--prompt", "512", "--gen", "0", "--json"))
    if predicted["hardware"] != "rtx-4090-pytorch":
        failures.append(f"predict --hardware {out}: {predicted['hardware']}")
    # The calibrated system validates the records of its base system.
    run(LLMSIM, "validate", "--measurements", kernels, "--hardware", out, "--skip-other-hardware",
        contains=["calibrated:", "measured 924"])
    run(LLMSIM, "calibrate", "--measurements", kernels, "--hardware", "rtx-4090", "--skip-other-hardware",
        "-o", os.path.join(work, "out.txt"), expect=1, contains=["must name a .yaml file"])

    # Software profile from end-to-end rows: leave-one-hardware-out over the two Apple chips
    # of rows 23-27, a profile file that predict accepts as --software.
    rows_pb = os.path.join(work, "apple.pb")
    run(BENCH, "import-csv", os.path.join(DATA, "public_llamacpp.csv"), "--rows", "23-27", "-o", rows_pb)
    profile = os.path.join(work, "llama.cpp-apple.yaml")
    run(LLMSIM, "calibrate-profile", "--measurements", rows_pb, "--software", "llama.cpp", "--fit",
        "matmul.max_fraction,memory.kernel_fraction", "-o", profile,
        contains=["apple-m1", "apple-m1-max", "leave-one-hardware-out", "gpu-apple:matmul.max_fraction"])
    run(LLMSIM, "predict", "--hardware", "apple-m1-max", "--model", "llama-3-8b", "--dtype", "q4_k_m",
        "--software", profile, "--prompt", "0", "--gen", "4", contains=["fitted by llmsim calibrate-profile"])
    one = os.path.join(work, "one.pb")
    run(BENCH, "import-csv", os.path.join(DATA, "public_llamacpp.csv"), "--rows", "23", "-o", one)
    run(LLMSIM, "calibrate-profile", "--measurements", one, expect=1, contains=["needs at least 2"])

    # Bad files: empty, corrupt, missing, a schema version newer than this build.
    empty = os.path.join(work, "empty.pb")
    open(empty, "wb").close()
    run(LLMSIM, "validate", "--measurements", empty, "--hardware", "rtx-4090", expect=1,
        contains=["empty.pb", "no measurement records"])
    corrupt = os.path.join(work, "corrupt.pb")
    open(corrupt, "wb").write(b"\x0a\xff\xff\xff garbage")
    run(LLMSIM, "calibrate", "--measurements", corrupt, "--hardware", "rtx-4090", "-o", os.path.join(work, "c.yaml"),
        expect=1, contains=["record 1 is not a valid Measurement"])
    run(LLMSIM, "validate", "--measurements", os.path.join(work, "missing.pb"), "--hardware", "rtx-4090", expect=1,
        contains=["file not found"])
    data = bytearray(open(kernels, "rb").read())
    # First record: its length as a varint, then field 1 (schema_version) = 1 as 0x08 0x01.
    start = 0
    while data[start] & 0x80:
        start += 1
    start += 1
    assert data[start:start + 2] == b"\x08\x01", data[:8]
    data[start + 1] = 99
    newer = os.path.join(work, "newer.pb")
    open(newer, "wb").write(bytes(data))
    run(LLMSIM, "validate", "--measurements", newer, "--hardware", "rtx-4090", expect=1,
        contains=["schema_version 99", "newer than"])

    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
