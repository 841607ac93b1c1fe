#!/usr/bin/env python3
"""`llmsim train` as users run it: memory against bytes per parameter worked out by hand,
a clear "does not fit" (exit 3), and refused inputs (exit 1) that name the field."""
import json
import os
import subprocess
import tempfile
import unittest

LLMSIM = os.environ["LLMSIM"]
SOURCE = os.environ["LLMSIM_SOURCE_DIR"]

# HF's parameter counts: gpt2 124,439,808; Llama-3-8B 8,030,261,248.
GPT2 = 124_439_808
LLAMA3_8B = 8_030_261_248


def llmsim(*args):
    return subprocess.run([LLMSIM, *args], capture_output=True, text=True)


def train(tmp, text):
    path = os.path.join(tmp, "t.yaml")
    with open(path, "w") as f:
        f.write(text)
    out = os.path.join(tmp, "out")
    return llmsim("train", path, "--out", out, "--quiet"), out


class Layouts(unittest.TestCase):
    def test_llama3_70b_on_64_h100(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out")
            run = llmsim("train", os.path.join(SOURCE, "scenarios", "train-llama-3-70b-64xh100.yaml"), "--out", out)
            self.assertEqual(run.returncode, 3, run.stderr)  # the unsharded variant does not fit
            self.assertIn("! = does not fit", run.stdout)
            runs = {}
            for name in ["megatron-tp8-pp2-dp4-zero1", "fsdp-tp8-dp8", "tp8-dp8-no-sharding"]:
                with open(os.path.join(out, name, "train.json")) as f:
                    runs[name] = json.load(f)
        megatron, fsdp, plain = runs["megatron-tp8-pp2-dp4-zero1"], runs["fsdp-tp8-dp8"], runs["tp8-dp8-no-sharding"]
        self.assertTrue(megatron["fits"] and fsdp["fits"])
        self.assertFalse(plain["fits"])
        # 64 sequences of 4096 tokens per step in every layout.
        for j in runs.values():
            self.assertAlmostEqual(j["tokens_per_s"] * j["step_s"], 64 * 4096, delta=1)
        # Two stages, 16 micro-batches: close to (p - 1) / (m + p - 1) = 1/17 of stage time idle.
        self.assertGreater(megatron["layout"]["bubble_fraction"], 0.03)
        self.assertLess(megatron["layout"]["bubble_fraction"], 0.12)
        self.assertEqual(len(megatron["layout"]["stage_memory_bytes"]), 2)
        # Without ZeRO each device keeps 16 bytes per parameter of its 1/8 tensor share.
        self.assertAlmostEqual(plain["memory"]["weights_bytes"] + plain["memory"]["grads_bytes"] +
                               plain["memory"]["optimizer_bytes"], 16 * plain["parameters"] / 8,
                               delta=1e-6 * plain["parameters"])
        self.assertGreater(fsdp["layout"]["zero_gather_s"], 0)
        self.assertGreater(fsdp["layout"]["dp_sync_s"], 0)


class ExpertParallelTraining(unittest.TestCase):
    def test_mixtral_ep8_spreads_experts_and_exchanges_tokens(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out")
            run = llmsim("train", os.path.join(SOURCE, "scenarios", "train-mixtral-8x7b-ep8.yaml"), "--out", out,
                         "--quiet")
            self.assertEqual(run.returncode, 0, run.stderr)
            with open(os.path.join(out, "pp4-ep8-dp8-zero1", "train.json")) as f:
                ep = json.load(f)
            with open(os.path.join(out, "pp4-tp8", "train.json")) as f:
                tp = json.load(f)
        self.assertGreater(ep["seconds_by_group"]["all_to_all"], 0)
        self.assertNotIn("all_to_all", tp["seconds_by_group"])
        self.assertIn("ep=8", ep["layout"]["description"])
        self.assertTrue(ep["fits"] and tp["fits"])


class Search(unittest.TestCase):
    def test_search_ranks_fitting_layouts_first_and_plots_them(self):
        with tempfile.TemporaryDirectory() as tmp:
            scenario = os.path.join(tmp, "s.yaml")
            with open(scenario, "w") as f:
                f.write("hardware: dgx-h100\nmodel: llama-3.2-1b\nprecision: amp-bf16\nseq_len: 512\nbatch: 1\n"
                        "accumulation: 8\nflash_attention: true\n")
            out = os.path.join(tmp, "search")
            run = llmsim("train", scenario, "--search", "--out", out)
            self.assertEqual(run.returncode, 0, run.stderr)
            import csv
            with open(os.path.join(out, "search.csv")) as f:
                rows = list(csv.DictReader(f))
            done = [r for r in rows if not r["error"]]
            self.assertGreater(len(done), 10)
            # Every layout keeps 8 sequences of 512 tokens per step on 8 GPUs.
            for r in done:
                self.assertAlmostEqual(float(r["tokens_per_s"]) * float(r["step_s"]), 8 * 512, delta=1e-6 * 8 * 512)
            fits = [float(r["tokens_per_s"]) for r in done if r["fits"] == "true"]
            self.assertEqual(fits, sorted(fits, reverse=True))
            self.assertIn("best:", run.stdout)
            png = os.path.join(tmp, "layouts.png")
            plot = llmsim("plot", "layouts", out, "-o", png)
            self.assertEqual(plot.returncode, 0, plot.stderr)
            self.assertTrue(os.path.isfile(png))


class Train(unittest.TestCase):
    def test_fp32_memory_is_16_bytes_per_parameter_plus_activations(self):
        with tempfile.TemporaryDirectory() as tmp:
            run, out = train(tmp, "hardware: a100-sxm4-80gb\nmodel: gpt2\nbatch: 2\nseq_len: 128\n")
            self.assertEqual(run.returncode, 0, run.stderr)
            with open(os.path.join(out, "train.json")) as f:
                j = json.load(f)
            m = j["memory"]
            self.assertEqual(j["parameters"], GPT2)
            self.assertEqual(m["weights_bytes"], 4 * GPT2)
            self.assertEqual(m["grads_bytes"], 4 * GPT2)
            self.assertEqual(m["optimizer_bytes"], 8 * GPT2)
            self.assertAlmostEqual(m["per_device_bytes"], 16 * GPT2 + m["activations_bytes"], delta=1)
            # tokens/s is the step's tokens over its time.
            self.assertAlmostEqual(j["tokens_per_s"], 2 * 128 / j["step_s"], delta=1e-6 * j["tokens_per_s"])

    def test_llama_8b_with_amp_does_not_fit_one_h100(self):
        # AMP: fp32 master weights, grads and moments = 16 bytes per parameter = 128.5 GB > 80 GB.
        with tempfile.TemporaryDirectory() as tmp:
            run, out = train(tmp, "hardware: dgx-h100\nmodel: llama-3-8b\nbatch: 1\nseq_len: 2048\n"
                                  "precision: amp-bf16\n")
            self.assertEqual(run.returncode, 3, run.stderr)
            with open(os.path.join(out, "train.json")) as f:
                j = json.load(f)
            self.assertFalse(j["fits"])
            self.assertGreater(j["memory"]["per_device_bytes"], 16 * LLAMA3_8B)
            report = llmsim("train", os.path.join(tmp, "t.yaml"), "--out", os.path.join(tmp, "o2"))
            self.assertIn("DOES NOT FIT", report.stdout)

    def test_bad_inputs_name_the_field(self):
        cases = {
            "batch: 0\n": "batch",
            "seq_len: 4096\n": "seq_len",  # gpt2 has 1024 positions
            "precision: fp4\n": "precision",  # FP4 training is not modelled
            "dp: 3\n": "dp",  # one A100 in this system
            "batchsize: 4\n": "batchsize",
        }
        for extra, field in cases.items():
            with self.subTest(extra=extra), tempfile.TemporaryDirectory() as tmp:
                run, _ = train(tmp, "hardware: a100-sxm4-80gb\nmodel: gpt2\n" + extra)
                self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
                self.assertIn(field, run.stderr)

    def test_seed003_scenario_runs_every_variant(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "seed003")
            run = llmsim("train", os.path.join(SOURCE, "scenarios/seed003-hybrid-rwkv-mamba-rtx4050.yaml"),
                         "--out", out, "--quiet")
            self.assertEqual(run.returncode, 0, run.stderr)
            with open(os.path.join(out, "summary.csv")) as f:
                rows = [line.split(",") for line in f.read().splitlines()[1:]]
            self.assertEqual(len(rows), 9)
            by_name = {r[0]: float(r[5]) for r in rows}
            # A fused WKV kernel removes the per-token loop's 2 x 256 launches per layer and pass.
            self.assertGreater(by_name["b16-wkv-kernel"], by_name["b16"])


if __name__ == "__main__":
    unittest.main()
