#!/usr/bin/env python3
"""The closed calibration loop, run by ctest (label "calibration") on the CI machine:

1. llmsim-bench measures this machine: the CPU quick suite and the calibration suite
   (DRAM-sized kernels, a GEMM M sweep), tagged --hardware-id local; the quick suite's
   GPT-2 decode step is measured op by op and end to end.
2. `llmsim local-system` describes the machine (cores, clock, caches, memory, ISA) from the
   records; `llmsim calibrate` fits it with 5-fold cross-validation by kernel shape.
3. `llmsim validate` predicts what the fit never saw, the GPT-2 decode step on SimGrid among it.

Asserted (docs/calibration.md): median |error| <= 15% on held-out CPU kernel shapes (each
predicted by a fold that did not see its shape) and <= 20% on the measured GPT-2 step.

Threads: LLMSIM_CALIBRATION_THREADS (default 1; 0 = every core). On a shared 2-core VM two
OpenMP threads wait for each other whenever another process holds a core, and every
multi-threaded kernel takes a scheduler quantum (docs/calibration.md shows such a run);
one thread measures the machine, not the neighbours. Vulkan (lavapipe) is not part of the
loop: its figures are CPU figures through LLVM and the local system has no GPU device.

Environment: LLMSIM, LLMSIM_BENCH (binaries), LLMSIM_SOURCE_DIR; LLMSIM_CALIBRATION_KEEP=DIR
keeps the records, systems and reports there.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

KERNEL_BOUND = 15.0  # % median |error|, held-out CPU kernel shapes
STEP_BOUND = 20.0    # % |error|, measured GPT-2 decode step


def run(cmd, **kw):
    t = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        print(out.stdout)
        print(out.stderr, file=sys.stderr)
        raise SystemExit(f"FAILED ({out.returncode}): {' '.join(cmd)}")
    return out.stdout, time.time() - t


def background_load(bench, records):
    out, _ = run([bench, "export", "--csv", records])
    lines = out.strip().splitlines()
    col = lines[0].split(",").index("background_load")
    import csv
    values = [float(r[col]) for r in csv.reader(lines[1:]) if r[col] not in ("", "-1")]
    return statistics.mean(values) if values else -1


def attempt():
    """One measure-calibrate-validate round; returns what failed (empty when it passed)."""
    llmsim, bench, source = os.environ["LLMSIM"], os.environ["LLMSIM_BENCH"], os.environ["LLMSIM_SOURCE_DIR"]
    threads = os.environ.get("LLMSIM_CALIBRATION_THREADS", "1")
    keep = os.environ.get("LLMSIM_CALIBRATION_KEEP")
    work = keep or tempfile.mkdtemp(prefix="llmsim-calibration-")
    os.makedirs(work, exist_ok=True)
    path = lambda name: os.path.join(work, name)
    suites = os.path.join(source, "validate", "runner", "suites")

    timings = {}
    for suite in ("quick", "calibration"):
        thread_flag = ["--threads", threads] if threads != "0" else []  # 0: the suites' own (every core)
        _, timings[suite] = run([bench, "run", "--backend", "cpu", "--suite", os.path.join(suites, suite + ".yaml"),
                                 *thread_flag, "--hardware-id", "local", "-q", "-o", path(suite + ".pb")])
    with open(path("cpu.pb"), "wb") as out:
        for suite in ("quick", "calibration"):
            with open(path(suite + ".pb"), "rb") as f:
                out.write(f.read())
    load = background_load(bench, path("cpu.pb"))

    text, _ = run([llmsim, "local-system", "--measurements", path("cpu.pb"), "-o", path("local.yaml")])
    print(text.strip())
    calibration, timings["calibrate"] = run([llmsim, "calibrate", "--measurements", path("cpu.pb"), "--hardware",
                                             path("local.yaml"), "-o", path("local-calibrated.yaml"),
                                             "--report-json", path("calibrate.json")])
    print(calibration)
    validation, timings["validate"] = run([llmsim, "validate", "--measurements", path("cpu.pb"), "--hardware",
                                           path("local-calibrated.yaml"), "--csv", path("validate.csv")])
    print(validation)
    validation_json, _ = run([llmsim, "validate", "--measurements", path("cpu.pb"), "--hardware",
                              path("local-calibrated.yaml"), "--json"])

    report = json.load(open(path("calibrate.json")))
    classes = json.loads(validation_json)["classes"]
    kernels = report["held_out"]["overall"]
    before = report["before"]["overall"]
    step = classes.get("decode_step")
    if step is None:
        raise SystemExit("FAILED: the records hold no decode_step (the quick suite's GPT-2 step)")
    ops = {k: v for k, v in classes.items() if k.startswith("op ")}

    print("== calibration loop figures ==")
    print(f"threads {threads}; mean background load while measuring {load:.2f} (share of CPU time other processes "
          f"used); bench quick {timings['quick']:.1f} s, calibration {timings['calibration']:.1f} s")
    print(f"held-out CPU kernel shapes ({report['folds']}-fold by shape, {kernels['count']} kernels): median |error| "
          f"{kernels['median_abs_error_pct']:.1f}% (defaults before the fit: {before['median_abs_error_pct']:.1f}%), "
          f"bound {KERNEL_BOUND}%")
    print(f"GPT-2 decode step (SimGrid, never fitted): |error| {step['median_abs_error_pct']:.1f}% "
          f"(signed {step['bias_pct']:+.1f}%), bound {STEP_BOUND}%")
    for name, s in sorted(ops.items()):
        print(f"  GPT-2 {name:<16} {s['count']:>3} ops, median |error| {s['median_abs_error_pct']:.1f}%")
    failed = []
    if kernels["median_abs_error_pct"] > KERNEL_BOUND:
        failed.append(f"held-out kernel median {kernels['median_abs_error_pct']:.1f}% > {KERNEL_BOUND}%")
    if step["median_abs_error_pct"] > STEP_BOUND:
        failed.append(f"GPT-2 step error {step['median_abs_error_pct']:.1f}% > {STEP_BOUND}%")
    if failed:
        if load > 0.3:
            failed.append(f"note: other processes used {100 * load:.0f}% of the CPU while measuring")
        failed.append(f"records kept in {work}")
    return failed


def main():
    # Measurements on a shared VM can be disturbed by a neighbour; a disturbed round is measured
    # once more (and both rounds are printed). Two failing rounds fail the test.
    for round_number in (1, 2):
        failed = attempt()
        if not failed:
            print("PASSED" + (" (second round)" if round_number == 2 else ""))
            return 0
        print(f"round {round_number} FAILED: " + "; ".join(failed))
    raise SystemExit("FAILED in both rounds")


if __name__ == "__main__":
    sys.exit(main())
