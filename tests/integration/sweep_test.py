#!/usr/bin/env python3
"""`llmsim sweep` as users run it: the CSV is the same bytes whatever -j, an interruption
(SIGINT, then --resume) or sharding (then sweep-merge); a failing point is recorded and the
others go on; every metric equals what `llmsim predict --json` says for that point."""
import csv
import glob
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

LLMSIM = os.environ["LLMSIM"]

SCENARIO = """name: sweep-test
hardware: h100-sxm5-80gb
model: gpt2
software: vllm
dtype: bf16
kv_dtype: bf16
batch: 1
prompt: 32
gen: 8
"""
GRID = ["--set", "batch=1,2,4", "--set", "hardware=h100-sxm5-80gb,h200-sxm-141gb"]
# predict's flag for each metric-bearing scenario field
PREDICT_FLAGS = {"hardware": "--hardware", "model": "--model", "software": "--software", "dtype": "--dtype",
                 "kv_dtype": "--kv-dtype", "batch": "--batch", "prompt": "--prompt", "gen": "--gen"}
METRICS = ["ttft_s", "prefill_s", "prefill_tokens_per_s", "tpot_s", "decode_s", "decode_tokens_per_s",
           "output_tokens_per_s", "request_s", "aggregate_output_tokens_per_s", "peak_memory_bytes", "fits", "bound"]


def llmsim(*args):
    return subprocess.run([LLMSIM, *args], capture_output=True, text=True)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class Sweep(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.scenario = os.path.join(self.dir, "s.yaml")
        with open(self.scenario, "w") as f:
            f.write(SCENARIO)

    def tearDown(self):
        self.tmp.cleanup()

    def out(self, name):
        return os.path.join(self.dir, name)

    def sweep(self, *args):
        return llmsim("sweep", self.scenario, *args)

    def test_grid_order_header_and_metrics_equal_predict(self):
        run = self.sweep(*GRID, "-j", "2", "-o", self.out("a.csv"))
        self.assertEqual(run.returncode, 0, run.stderr)
        table = rows(self.out("a.csv"))
        header = read(self.out("a.csv")).decode().splitlines()[0]
        self.assertEqual(header, "index,batch,hardware,status," + ",".join(METRICS) + ",error")
        self.assertEqual([r["index"] for r in table], ["0", "1", "2", "3", "4", "5"])
        self.assertEqual([(r["batch"], r["hardware"]) for r in table],
                         [(b, h) for b in ("1", "2", "4") for h in ("h100-sxm5-80gb", "h200-sxm-141gb")])
        base = {"hardware": "h100-sxm5-80gb", "model": "gpt2", "software": "vllm", "dtype": "bf16",
                "kv_dtype": "bf16", "batch": "1", "prompt": "32", "gen": "8"}
        for r in table:
            self.assertEqual(r["status"], "ok")
            self.assertEqual(r["error"], "")
            point = dict(base, batch=r["batch"], hardware=r["hardware"])
            args = ["predict", "--json"]
            for key, flag in PREDICT_FLAGS.items():
                args += [flag, point[key]]
            p = llmsim(*args)
            self.assertEqual(p.returncode, 0, p.stderr)
            j = json.loads(p.stdout)
            for m in METRICS:
                expected = j[m]
                if isinstance(expected, bool):
                    self.assertEqual(r[m], "true" if expected else "false", m)
                elif isinstance(expected, str):
                    self.assertEqual(r[m], expected, m)
                else:
                    self.assertEqual(float(r[m]), expected, (m, r["index"]))
        # throughput grows with the batch on one GPU (a sanity check of the columns' order)
        h100 = [float(r["decode_tokens_per_s"]) for r in table if r["hardware"] == "h100-sxm5-80gb"]
        self.assertLess(h100[0], h100[1])
        self.assertLess(h100[1], h100[2])

    def test_parallelism_and_shards_do_not_change_the_bytes(self):
        self.assertEqual(self.sweep(*GRID, "-j", "2", "-o", self.out("j2.csv")).returncode, 0)
        self.assertEqual(self.sweep(*GRID, "-j", "1", "-o", self.out("j1.csv")).returncode, 0)
        self.assertEqual(read(self.out("j1.csv")), read(self.out("j2.csv")))
        shards = []
        for i in range(3):
            shard = self.out(f"shard{i}.csv")
            run = self.sweep(*GRID, "--shard", f"{i}/3", "-j", "1", "-o", shard)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(len(rows(shard)), 2)  # points i and i + 3
            shards.append(shard)
        merged = self.out("merged.csv")
        run = llmsim("sweep-merge", merged, *reversed(shards))
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(read(merged), read(self.out("j2.csv")))
        run = llmsim("sweep-merge", self.out("partial.csv"), shards[0], shards[2])
        self.assertEqual(run.returncode, 1)
        self.assertIn("2 of 6 points are missing (first: 1 4)", run.stderr)
        self.assertFalse(os.path.exists(self.out("partial.csv")))
        # a shard of another grid is refused
        other = self.out("other.csv")
        self.assertEqual(self.sweep("--set", "batch=1,2", "--shard", "1/3", "-o", other).returncode, 0)
        run = llmsim("sweep-merge", self.out("bad.csv"), shards[0], other)
        self.assertEqual(run.returncode, 1)
        self.assertIn("another grid", run.stderr)

    def test_a_failing_point_is_recorded_and_the_others_go_on(self):
        run = self.sweep("--set", "model=gpt2,no-such-model", "--set", "batch=1,2", "-o", self.out("f.csv"))
        self.assertEqual(run.returncode, 1, run.stderr)
        table = rows(self.out("f.csv"))
        self.assertEqual([r["status"] for r in table], ["ok", "ok", "failed", "failed"])
        self.assertIn("unknown model id 'no-such-model'", table[2]["error"])
        self.assertEqual(table[2]["ttft_s"], "")
        self.assertNotEqual(table[0]["ttft_s"], "")
        # a key the scenario format does not have is the loader's error, before anything runs
        run = self.sweep("--set", "batchh=1,2", "-o", self.out("k.csv"))
        self.assertEqual(run.returncode, 1)
        self.assertIn("batchh", run.stderr)

    def test_sigint_then_resume_gives_the_uninterrupted_bytes(self):
        slow = ["--set", "batch=1,2,3,4,5,6", "--set", "gen=300"]
        ref = self.out("ref.csv")
        self.assertEqual(self.sweep(*slow, "-j", "2", "-o", ref).returncode, 0)
        out = self.out("int.csv")
        proc = subprocess.Popen([LLMSIM, "sweep", self.scenario, *slow, "-j", "1", "-o", out],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 20
        while len(glob.glob(out + ".points/*.row")) < 2 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn("--resume", err)
        kept = rows(out)
        self.assertGreaterEqual(len(kept), 2)
        self.assertLess(len(kept), 6, "the sweep ended before the interruption; make the points slower")
        self.assertTrue(read(out).endswith(b"\n"))
        self.assertTrue(read(ref).startswith(read(out).split(b"\n", 1)[0]))
        for r in kept:  # every row kept is whole and is the reference's row
            self.assertIn(",".join(r.values()).encode(), read(ref))
        self.assertEqual(glob.glob(out + ".points/*.tmp.*"), [])
        # another grid cannot resume these rows
        run = self.sweep("--set", "batch=1,2,3", "--set", "gen=300", "-o", out, "--resume")
        self.assertEqual(run.returncode, 1)
        self.assertIn("changed", run.stderr)
        run = self.sweep(*slow, "-j", "2", "-o", out, "--resume")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn(f"{6 - len(kept)} to run, {len(kept)} finished before", run.stderr)
        self.assertEqual(read(out), read(ref))

    def test_train_scenario_and_variants(self):
        path = os.path.join(self.dir, "t.yaml")
        with open(path, "w") as f:
            f.write("hardware: a100-sxm4-80gb\nmodel: gpt2\nbatch: 2\nseq_len: 128\nprecision: amp-bf16\n"
                    "variants:\n  - name: eager\n  - name: compiled\n    compile: true\n")
        run = llmsim("sweep", path, "--set", "batch=1,2", "-o", self.out("t.csv"))
        self.assertEqual(run.returncode, 0, run.stderr)
        table = rows(self.out("t.csv"))
        self.assertEqual([(r["variant"], r["batch"]) for r in table],
                         [("eager", "1"), ("eager", "2"), ("compiled", "1"), ("compiled", "2")])
        self.assertEqual(list(table[0])[:4], ["index", "variant", "batch", "status"])
        # compile fuses kernels: fewer kernels than eager at the same batch
        self.assertLess(float(table[2]["kernels"]), float(table[0]["kernels"]))
        run = llmsim("sweep", path, "--set", "variant=compiled", "-o", self.out("t1.csv"))
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual([r["variant"] for r in rows(self.out("t1.csv"))], ["compiled"])


if __name__ == "__main__":
    unittest.main()
