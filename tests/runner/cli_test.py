#!/usr/bin/env python3
"""Drives llmsim-bench as users and CI do: a short CPU run that records, verifies and
exports; a model step; the CSV import; and the documented exit codes for bad input."""
import csv
import io
import json
import os
import subprocess
import tempfile
import unittest

BENCH = os.environ["LLMSIM_BENCH"]
SOURCE = os.environ["LLMSIM_SOURCE_DIR"]
FIXTURES = os.path.join(SOURCE, "tests", "runner", "fixtures")


def bench(*args, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([BENCH, *args], capture_output=True, text=True, env=full_env, timeout=300)


def built_backends():
    out = bench("list")
    line = next(l for l in out.stdout.splitlines() if l.startswith("backends built:"))
    return [b.strip() for b in line.split(":", 1)[1].split(",")]


class CpuRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.pb = os.path.join(cls.tmp.name, "tiny.pb")
        cls.run_out = bench("run", "--backend", "cpu", "--suite", os.path.join(FIXTURES, "tiny_suite.yaml"),
                            "-o", cls.pb)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def export_csv(self):
        out = bench("export", "--csv", self.pb)
        self.assertEqual(out.returncode, 0, out.stderr)
        return list(csv.DictReader(io.StringIO(out.stdout)))

    def test_every_case_is_recorded_verified(self):
        self.assertEqual(self.run_out.returncode, 0, self.run_out.stdout + self.run_out.stderr)
        rows = self.export_csv()
        self.assertEqual(len(rows), 14)
        for row in rows:
            self.assertEqual(row["verified"], "true", row["id"])
            self.assertGreater(float(row["median_s"]), 0, row["id"])
            self.assertEqual(row["backend"], "cpu")
        kernels = {row["kernel"] for row in rows}
        self.assertEqual(kernels, {"triad", "copy", "gemm", "gemv", "attention_decode", "rmsnorm", "silu", "gelu"})

    def test_list_names_every_suite_kernel(self):
        out = bench("list")
        self.assertEqual(out.returncode, 0, out.stderr)
        line = next(l for l in out.stdout.splitlines() if l.startswith("kernels:"))
        self.assertEqual({k.strip() for k in line.split(":", 1)[1].split(",")},
                         {"copy", "triad", "gemm", "gemv", "attention_decode", "rmsnorm", "silu", "gelu",
                          "decode_step"})

    def test_rates_follow_from_work_and_median(self):
        for row in self.export_csv():
            if row["kernel"] == "gemm":
                m, n, k = (int(row[x]) for x in ("m", "n", "k"))
                self.assertAlmostEqual(float(row["gflops_per_s"]), 2 * m * n * k / float(row["median_s"]) / 1e9,
                                       delta=1e-3 * float(row["gflops_per_s"]))

    def test_json_export_carries_device_and_environment(self):
        out = bench("export", "--json", self.pb)
        self.assertEqual(out.returncode, 0, out.stderr)
        records = json.loads(out.stdout)
        first = records[0]
        self.assertEqual(first["schema_version"], 1)
        self.assertEqual(first["device"]["kind"], "cpu")
        self.assertIn("openblas", first["environment"]["libraries"])
        self.assertTrue(first["environment"]["runner_version"])
        self.assertGreater(len(first["timing"]["samples_s"]), 2)


class ModelStep(unittest.TestCase):
    def test_step_and_every_op_are_recorded(self):
        with tempfile.TemporaryDirectory() as tmp:
            pb = os.path.join(tmp, "step.pb")
            out = bench("run", "--backend", "cpu", "--model-step", os.path.join(FIXTURES, "tiny_gpt2.json"),
                        "--context", "7", "--max-time", "0.2", "-o", pb)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            rows = list(csv.DictReader(io.StringIO(bench("export", "--csv", pb).stdout)))
            steps = [r for r in rows if r["kernel"] == "decode_step"]
            ops = [r for r in rows if r["kernel"] == "op"]
            self.assertEqual(len(steps), 1)
            self.assertEqual(len(ops), 1 + 11 * 2 + 3)
            self.assertIn("L1.ffn_down", {r["op_name"] for r in ops})
            self.assertEqual(steps[0]["past_tokens"], "7")


class Import(unittest.TestCase):
    def test_public_rows_import_and_export(self):
        with tempfile.TemporaryDirectory() as tmp:
            pb = os.path.join(tmp, "public.pb")
            out = bench("import-csv", os.path.join(FIXTURES, "public_rows.csv"), "--rows", "113-130", "-o", pb)
            self.assertEqual(out.returncode, 0, out.stderr)
            rows = list(csv.DictReader(io.StringIO(bench("export", "--csv", pb).stdout)))
            self.assertEqual([r["kernel"] for r in rows], ["gemm", "gemm", "copy"])
            self.assertEqual(rows[0]["origin"], "ORIGIN_IMPORTED")


class Compare(unittest.TestCase):
    """Two imports of the same published rows, one figure changed by a known amount."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        source = os.path.join(FIXTURES, "public_rows.csv")
        self.before = os.path.join(self.tmp.name, "before.pb")
        self.after = os.path.join(self.tmp.name, "after.pb")
        slower_csv = os.path.join(self.tmp.name, "slower.csv")
        with open(source) as f, open(slower_csv, "w") as g:
            text = f.read()
            self.assertIn(",760.04,", text)
            g.write(text.replace(",760.04,", ",700,"))  # row 113: 760.04 -> 700 TFLOP/s
        for csv_file, pb in ((source, self.before), (slower_csv, self.after)):
            out = bench("import-csv", csv_file, "--rows", "113-130", "-o", pb)
            self.assertEqual(out.returncode, 0, out.stderr)

    def test_a_case_that_moved_beyond_tolerance_is_exit_6(self):
        out = bench("compare", self.before, self.after)
        self.assertEqual(out.returncode, 6, out.stdout + out.stderr)
        # 1 - 700 / 760.04 = 7.9% of the slower run's time.
        line = next(l for l in out.stdout.splitlines() if l.startswith("imported:113:"))
        self.assertIn("7.9%", line)
        self.assertIn("BEYOND", line)
        self.assertIn("2 of 3 compared cases within 5.0%", out.stdout)

    def test_a_wider_tolerance_passes(self):
        out = bench("compare", "--tolerance", "8", self.before, self.after)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_files_without_common_cases_are_exit_1(self):
        with tempfile.TemporaryDirectory() as tmp:
            other = os.path.join(tmp, "other.pb")
            out = bench("import-csv", os.path.join(FIXTURES, "public_rows.csv"), "--rows", "2", "-o", other)
            self.assertEqual(out.returncode, 0, out.stderr)
            out = bench("compare", self.before, other)
            self.assertEqual(out.returncode, 1)
            self.assertIn("nothing to compare", out.stderr)

    def test_one_file_is_a_usage_error(self):
        self.assertEqual(bench("compare", self.before).returncode, 2)


class BadInput(unittest.TestCase):
    def test_unknown_suite_is_exit_1_and_lists_the_known(self):
        out = bench("run", "--backend", "cpu", "--suite", "quik")
        self.assertEqual(out.returncode, 1)
        self.assertIn("unknown suite 'quik'", out.stderr)
        self.assertIn("quick", out.stderr)

    def test_unknown_backend_is_exit_2(self):
        out = bench("run", "--backend", "tpu")
        self.assertEqual(out.returncode, 2)
        self.assertIn("tpu", out.stderr)

    def test_malformed_suite_is_exit_1_with_file_and_line(self):
        out = bench("run", "--backend", "cpu", "--suite", os.path.join(FIXTURES, "bad_unknown_key.yaml"))
        self.assertEqual(out.returncode, 1)
        self.assertIn("bad_unknown_key.yaml:7", out.stderr)

    def test_corrupt_measurement_file_is_exit_1(self):
        with tempfile.NamedTemporaryFile(suffix=".pb") as f:
            f.write(b"\xff\xff\xff\xff\xff garbage")
            f.flush()
            out = bench("export", "--csv", f.name)
            self.assertEqual(out.returncode, 1)
            self.assertIn("not a valid Measurement", out.stderr)

    def test_no_vulkan_device_is_exit_3(self):
        # An ICD list naming no driver: the loader finds no device, as on a machine without one.
        out = bench("run", "--backend", "vulkan", "--dry-run")
        self.assertEqual(out.returncode, 0)  # listing cases needs no device
        out = bench("run", "--backend", "vulkan", env={"VK_ICD_FILENAMES": "/nonexistent/icd.json",
                                                        "VK_DRIVER_FILES": "/nonexistent/icd.json"})
        self.assertEqual(out.returncode, 3, out.stdout + out.stderr)
        self.assertIn("vulkan", out.stderr)

    def test_cuda_without_gpu_is_exit_3(self):
        if "cuda" in built_backends() and os.path.exists("/dev/nvidia0"):
            print("SKIPPED: a CUDA device is present; the no-GPU path is not reachable here")
            return
        out = bench("run", "--backend", "cuda")
        self.assertEqual(out.returncode, 3, out.stdout + out.stderr)
        self.assertIn("cuda", out.stderr.lower())

    def test_full_suite_lists_for_every_backend(self):
        for backend in ("cpu", "vulkan", "cuda"):
            out = bench("run", "--backend", backend, "--suite", "full", "--dry-run")
            self.assertEqual(out.returncode, 0, out.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
