#!/usr/bin/env python3
"""`llmsim serve` and `llmsim plan` as users run them: byte-identical reruns, refused
inputs that write nothing, and a small plan whose answer is checked against its table."""
import json
import os
import subprocess
import tempfile
import unittest

LLMSIM = os.environ["LLMSIM"]
SOURCE = os.environ["LLMSIM_SOURCE_DIR"]

BASE = """name: t
hardware: h100-sxm5-80gb
model: llama-3-8b
software: vllm
dtype: bf16
kv_dtype: bf16
scheduler: {policy: continuous, max_batch: 64, max_batched_tokens: 4096}
workload: {arrival: poisson, rate: RATE, requests: 120, seed: 5, lengths: {distribution: sharegpt, prompt_max: 1024}}
slo: {ttft_s: 1.0, tpot_s: 0.1}
"""


def llmsim(*args):
    return subprocess.run([LLMSIM, *args], capture_output=True, text=True)


def scenario(tmp, rate="8", extra=""):
    path = os.path.join(tmp, "s.yaml")
    with open(path, "w") as f:
        f.write(BASE.replace("RATE", rate) + extra)
    return path


class Serve(unittest.TestCase):
    def test_same_seed_same_bytes(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = scenario(tmp)
            outputs = []
            for name in ["a", "b"]:
                out = llmsim("serve", path, "--out", os.path.join(tmp, name), "--quiet")
                self.assertEqual(out.returncode, 0, out.stderr)
                with open(os.path.join(tmp, name, "serve.json")) as f:
                    summary = json.load(f)
                del summary["simulation"]["wall_s"]  # the only field that depends on the machine
                with open(os.path.join(tmp, name, "requests.csv")) as f:
                    outputs.append((json.dumps(summary), f.read()))
            self.assertEqual(outputs[0], outputs[1])
            summary = json.loads(outputs[0][0])
            self.assertEqual(summary["completed"], 120)
            self.assertLessEqual(summary["ttft_s"]["p50"], summary["ttft_s"]["p99"])

    def test_bad_inputs_write_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            for rate, fragment in [("0", "must be positive"), ("-3", "must be positive")]:
                out_dir = os.path.join(tmp, "out" + rate)
                out = llmsim("serve", scenario(tmp, rate), "--out", out_dir, "--quiet")
                self.assertEqual(out.returncode, 1, out.stdout)
                self.assertIn(fragment, out.stderr)
                self.assertFalse(os.path.exists(out_dir))
            trace = os.path.join(tmp, "trace.csv")
            with open(trace, "w") as f:
                f.write("arrival_s,prompt_tokens\n0,10\n")
            path = scenario(tmp)
            with open(path) as f:
                text = f.read().replace("arrival: poisson", "arrival: trace, trace_file: trace.csv")
            with open(path, "w") as f:
                f.write(text)
            out_dir = os.path.join(tmp, "trace_out")
            out = llmsim("serve", path, "--out", out_dir, "--quiet")
            self.assertEqual(out.returncode, 1, out.stdout)
            self.assertIn("'output_tokens' is missing", out.stderr)
            self.assertFalse(os.path.exists(out_dir))
            path = scenario(tmp, "8", "kv: {gpu_memory_utilization: 0.19}\n")  # 16 GB of 86: not even the weights
            out = llmsim("serve", path, "--out", out_dir, "--quiet")
            self.assertEqual(out.returncode, 1, out.stdout)
            self.assertIn("the model does not fit", out.stderr)
            self.assertFalse(os.path.exists(out_dir))

    def test_plan_picks_the_cheapest_configuration_that_meets_the_target(self):
        with tempfile.TemporaryDirectory() as tmp:
            scenario(tmp, "60")
            plan = os.path.join(tmp, "plan.yaml")
            with open(plan, "w") as f:
                f.write("name: p\nserve: s.yaml\ngrid: {replicas: [1, 2, 4], max_batch: [16, 64]}\n"
                        "target: {ttft_p99_s: 0.5}\n")
            out = llmsim("plan", plan, "--out", os.path.join(tmp, "out"))
            self.assertEqual(out.returncode, 0, out.stderr)
            with open(os.path.join(tmp, "out", "plan.csv")) as f:
                rows = f.read().splitlines()[1:]
            meeting = [r.split(",") for r in rows if r.split(",")[10] == "true"]
            self.assertTrue(meeting, out.stdout)
            fewest = min(int(r[4]) for r in meeting)
            self.assertIn(f"= {fewest} device(s)", out.stdout)
            for r in rows:  # a point meets the target exactly when its p99 TTFT is within it
                cells = r.split(",")
                self.assertEqual(cells[10] == "true", float(cells[6]) <= 0.5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
