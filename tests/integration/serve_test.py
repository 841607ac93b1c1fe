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
            self.assertIn("the header has no column 'output_tokens'", out.stderr)
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

    def test_plan_varies_engine_formats_and_split_and_prices_from_the_catalog(self):
        with tempfile.TemporaryDirectory() as tmp:
            scenario(tmp, "4")
            plan = os.path.join(tmp, "plan.yaml")
            with open(plan, "w") as f:
                f.write("name: p\nserve: s.yaml\ngrid: {hardware: [a10g], software: [vllm, sglang], "
                        "kv_dtype: [bf16, fp8], prefill_replicas: [0, 1], max_batch: [32]}\n"
                        "target: {ttft_p99_s: 5}\n")
            out = llmsim("plan", plan, "--out", os.path.join(tmp, "out"))
            self.assertEqual(out.returncode, 0, out.stderr)
            with open(os.path.join(tmp, "out", "plan.csv")) as f:
                header, *rows = [line.split(",") for line in f.read().splitlines()]
            rows = [dict(zip(header, r)) for r in rows]
            self.assertEqual(len(rows), 8)  # 2 engines x 2 KV formats x 2 splits
            self.assertEqual({(r["software"], r["kv_dtype"], r["prefill_replicas"]) for r in rows},
                             {(s, k, p) for s in ["vllm", "sglang"] for k in ["bf16", "fp8"] for p in ["0", "1"]})
            self.assertIn("cloud_usd_per_hour", out.stdout)  # the catalog's price, as the report says
            with open(os.path.join(SOURCE, "hwmodels", "catalog", "a10g.yaml")) as f:
                price = float(next(l for l in f if l.startswith("cloud_usd_per_hour")).split("value:")[1].split(",")[0])
            for r in rows:
                if r["devices"]:
                    self.assertAlmostEqual(float(r["usd_per_hour"]), price * int(r["devices"]), places=6)


SHAREGPT = os.path.join(SOURCE, "tests", "fixtures", "serving", "sharegpt-small.json")


def usable_sharegpt_pairs(path):
    """The (prompt, output) token pairs the benchmark filter keeps, worked out independently:
    tokens = ceil(UTF-8 bytes / 4); keep 4 <= each, prompt <= 1024, both <= 2048."""
    with open(path) as f:
        entries = json.load(f)
    pairs = set()
    for e in entries:
        turns = e["conversations"]
        if len(turns) < 2:
            continue
        text = [t.get("value", t.get("content")) for t in turns[:2]]
        p, o = [-(-len(x.encode()) // 4) for x in text]
        if p >= 4 and o >= 4 and p <= 1024 and p + o <= 2048:
            pairs.add((p, o))
    return pairs


class BenchmarkVocabulary(unittest.TestCase):
    def read_requests(self, out_dir):
        with open(os.path.join(out_dir, "requests.csv")) as f:
            header, *rows = [line.split(",") for line in f.read().splitlines()]
        return [dict(zip(header, r)) for r in rows]

    def test_sharegpt_dataset_with_vllm_benchmark_flags(self):
        with tempfile.TemporaryDirectory() as tmp:
            out_dir = os.path.join(tmp, "out")
            out = llmsim("serve", "--dataset", SHAREGPT, "--request-rate", "10", "--num-prompts", "1000",
                         "--out", out_dir, "--quiet")
            self.assertEqual(out.returncode, 0, out.stderr)
            with open(os.path.join(out_dir, "serve.json")) as f:
                summary = json.load(f)
            self.assertEqual(summary["completed"], 1000)
            self.assertEqual(summary["config"]["workload"]["rate"], 10)
            requests = self.read_requests(out_dir)
            drawn = {(int(r["prompt_tokens"]), int(r["output_tokens"])) for r in requests}
            expected = usable_sharegpt_pairs(SHAREGPT)
            self.assertEqual(len(expected), 41)  # 44 entries: single-turn, too-short and too-long dropped
            self.assertEqual(drawn, expected)  # 1000 draws cycle through every usable pair
            # Poisson at 10/s: 1000 arrivals span about 100 s (within 10%).
            self.assertAlmostEqual(max(float(r["arrival_s"]) for r in requests) / 100, 1, delta=0.1)

    def test_closed_loop_keeps_at_most_max_concurrency_in_flight(self):
        with tempfile.TemporaryDirectory() as tmp:
            out_dir = os.path.join(tmp, "out")
            out = llmsim("serve", scenario(tmp), "--request-rate", "inf", "--max-concurrency", "4",
                         "--num-prompts", "40", "--out", out_dir, "--quiet")
            self.assertEqual(out.returncode, 0, out.stderr)
            requests = self.read_requests(out_dir)
            events = sorted([(float(r["arrival_s"]), 1) for r in requests] + [(float(r["finish_s"]), -1) for r in requests],
                            key=lambda e: (e[0], e[1]))
            in_flight, most = 0, 0
            for _, change in events:
                in_flight += change
                most = max(most, in_flight)
            self.assertEqual(most, 4)
            self.assertEqual(sum(float(r["arrival_s"]) == 0 for r in requests), 4)  # the first four at once

    def test_mlperf_server_verdict_follows_the_p99_limits(self):
        with tempfile.TemporaryDirectory() as tmp:
            verdicts = {}
            for name, limit in [("loose", "30"), ("tight", "0.001")]:
                out_dir = os.path.join(tmp, name)
                path = scenario(tmp, "8", f"mlperf: {{scenario: Server, ttft_p99_s: {limit}, tpot_p99_s: 1}}\n")
                out = llmsim("serve", path, "--out", out_dir)
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertIn("MLPerf Results Summary", out.stdout)
                with open(os.path.join(out_dir, "serve.json")) as f:
                    verdicts[name] = json.load(f)["mlperf"]["result"]
                ttft = sorted(float(r["ttft_s"]) for r in self.read_requests(out_dir))
                p99 = ttft[-(-99 * len(ttft) // 100) - 1]  # nearest rank, worked out here
                self.assertEqual(verdicts[name] == "VALID", p99 <= float(limit))
                self.assertIn("Result is : " + verdicts[name], out.stdout)
            self.assertEqual(verdicts, {"loose": "VALID", "tight": "INVALID"})

    def test_trace_holds_every_step_and_request(self):
        with tempfile.TemporaryDirectory() as tmp:
            out_dir = os.path.join(tmp, "out")
            trace = os.path.join(tmp, "serve-trace.json")
            out = llmsim("serve", scenario(tmp), "--num-prompts", "30", "--trace", trace, "--out", out_dir, "--quiet")
            self.assertEqual(out.returncode, 0, out.stderr)
            with open(trace) as f:
                events = json.load(f)["traceEvents"]
            with open(os.path.join(out_dir, "serve.json")) as f:
                summary = json.load(f)
            steps = [e for e in events if e["ph"] == "X"]
            self.assertEqual(len(steps), summary["replicas"][0]["steps"])
            busy_us = sum(e["dur"] for e in steps)
            self.assertAlmostEqual(busy_us / 1e6, summary["replicas"][0]["busy_s"], delta=1e-6 * len(steps))
            ends = {e["id"]: e["ts"] for e in events if e["ph"] == "e"}
            for r in self.read_requests(out_dir):
                self.assertAlmostEqual(ends[int(r["id"])] / 1e6, float(r["finish_s"]), delta=1e-6)

    def test_flags_override_the_scenario_and_bad_values_are_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            out_dir = os.path.join(tmp, "out")
            out = llmsim("serve", scenario(tmp), "--max-num-seqs", "7", "--max-num-batched-tokens", "2048",
                         "--gpu-memory-utilization", "0.5", "--kv-cache-dtype", "fp8", "--dataset-name", "random",
                         "--random-input-len", "100", "--random-output-len", "20", "--num-prompts", "10",
                         "--out", out_dir, "--quiet")
            self.assertEqual(out.returncode, 0, out.stderr)
            with open(os.path.join(out_dir, "serve.json")) as f:
                config = json.load(f)["config"]
            self.assertEqual(config["scheduler"]["max_batch"], 7)
            self.assertEqual(config["scheduler"]["max_batched_tokens"], 2048)
            self.assertEqual(config["kv"]["gpu_memory_utilization"], 0.5)
            self.assertEqual(config["kv_dtype"], "fp8")
            for r in self.read_requests(out_dir):
                self.assertEqual((r["prompt_tokens"], r["output_tokens"]), ("100", "20"))
            # vllm bench serve's --random-range-ratio 0.5: lengths uniform in [50, 150] and [10, 30].
            spread_dir = os.path.join(tmp, "spread")
            out = llmsim("serve", scenario(tmp), "--dataset-name", "random", "--random-input-len", "100",
                         "--random-output-len", "20", "--random-range-ratio", "0.5", "--num-prompts", "200",
                         "--out", spread_dir, "--quiet")
            self.assertEqual(out.returncode, 0, out.stderr)
            prompts = [int(r["prompt_tokens"]) for r in self.read_requests(spread_dir)]
            outputs = [int(r["output_tokens"]) for r in self.read_requests(spread_dir)]
            self.assertTrue(50 <= min(prompts) and max(prompts) <= 150, (min(prompts), max(prompts)))
            self.assertTrue(10 <= min(outputs) and max(outputs) <= 30, (min(outputs), max(outputs)))
            self.assertGreater(len(set(prompts)), 50)  # spread, not one length
            for args, fragment in [(["--request-rate", "fast"], "--request-rate"),
                                   (["--dataset-name", "sharegpt"], "--dataset-path"),
                                   (["--gpu-memory-utilization", "1.5"], "(0, 1]"),
                                   (["--admission", "lottery"], "unknown admission policy"),
                                   (["--num-prompts", "0"], "--num-prompts"),
                                   (["--max-num-seqs", "0"], "--max-num-seqs"),
                                   (["--max-concurrency", "-2"], "--max-concurrency"),
                                   (["--dataset-name", "random", "--random-range-ratio", "2"], "--random-range-ratio"),
                                   (["--max-model-len", "0"], "--max-model-len")]:
                out = llmsim("serve", scenario(tmp), *args, "--out", os.path.join(tmp, "bad"), "--quiet")
                self.assertEqual(out.returncode, 1, args)
                self.assertIn(fragment, out.stderr)
                self.assertFalse(os.path.exists(os.path.join(tmp, "bad")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
