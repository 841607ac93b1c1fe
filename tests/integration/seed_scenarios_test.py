#!/usr/bin/env python3
"""Every seed's scenario runs as docs/seeds/ says, and its figures obey hand-worked arithmetic:
cost per image = usd_per_hour / 3600 x seconds per image, energy = idle x time + (TDP - idle)
x active time, per-op shares sum to 100%, a weight-streaming op takes bytes / (kernel fraction
x measured bandwidth) plus its launch, per-role dtypes change exactly the bytes they should.
Runs the binary in $LLMSIM like a user; seed 000 also needs $LLMSIM_BENCH (skipped without)."""
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import unittest

LLMSIM, SOURCE = os.environ["LLMSIM"], os.environ["LLMSIM_SOURCE_DIR"]
BENCH = os.environ.get("LLMSIM_BENCH", "")
SCENARIOS = os.path.join(SOURCE, "scenarios")
WORK = tempfile.mkdtemp(prefix="llmsim-seeds-")


def llmsim(*args, expect=0):
    out = subprocess.run([LLMSIM, *args], capture_output=True, text=True)
    if out.returncode != expect:
        raise AssertionError(f"llmsim {' '.join(args)}: exit {out.returncode}\n{out.stdout[-3000:]}{out.stderr[-3000:]}")
    return out.stdout


def run_scenario(name, command="run"):
    out_dir = os.path.join(WORK, name)
    text = llmsim(command, os.path.join(SCENARIOS, name + ".yaml"), "--out", out_dir)
    return out_dir, text


def load_json(path):
    with open(path) as f:
        return json.load(f)


def variants(out_dir):
    combined = load_json(os.path.join(out_dir, "result.json"))
    return {v["name"]: v["prediction"] for v in combined["variants"]}


class Seed001EnergyAndCost(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir, cls.text = run_scenario("seed001-llama32-vision-h200-vs-v100")
        cls.v = variants(cls.dir)

    def test_cost_is_price_times_time(self):
        for name, p in self.v.items():
            e = p["energy_cost"]
            self.assertTrue(e["has_cost"], name)
            self.assertEqual(e["usd_per_hour"], 3.06 if name.startswith("v100") else 4.54, name)
            images = p["batch"] * p["images"]
            self.assertEqual(e["items"], images)
            self.assertAlmostEqual(e["usd"], e["usd_per_hour"] / 3600 * p["request_s"], places=12)
            self.assertAlmostEqual(e["usd_per_item"], e["usd_per_hour"] / 3600 * p["request_s"] / images, places=12)

    def test_energy_is_idle_plus_active_power(self):
        tdp = {"h200": (700, 75), "v100": (250, 25)}  # catalog tdp_w (datasheets), idle_w (assumptions)
        for name, p in self.v.items():
            e = p["energy_cost"]
            (budget,) = e["power_budgets"]
            self.assertEqual((budget["tdp_w"], budget["idle_w"]), tdp[name[:4]], name)
            t = p["request_s"]
            self.assertLessEqual(budget["active_s"], t)
            self.assertAlmostEqual(e["energy_j"], budget["idle_w"] * t + (budget["tdp_w"] - budget["idle_w"])
                                   * budget["active_s"], delta=1e-6 * e["energy_j"])
            self.assertAlmostEqual(e["energy_at_tdp_j"], budget["tdp_w"] * t, delta=1e-6 * e["energy_at_tdp_j"])
            self.assertAlmostEqual(e["joules_per_item"], e["energy_j"] / (p["batch"] * p["images"]), delta=1e-9 * e["energy_j"])
            self.assertAlmostEqual(e["average_power_w"], e["energy_j"] / t, delta=1e-9 * e["energy_j"])
            self.assertTrue(any(a.startswith("energy:") for a in p["assumptions"]))

    def test_the_comparisons_the_page_makes(self):
        v = self.v
        per_image = {n: p["request_s"] / (p["batch"] * p["images"]) for n, p in v.items()}
        self.assertGreater(per_image["v100-int8-offload"] / per_image["h200-bf16"], 1.5)       # "2-3x faster"
        self.assertLess(per_image["h200-bf16-batch8"], per_image["h200-bf16"] / 5)             # batching
        self.assertGreater(per_image["h200-int8-v100-settings"], per_image["h200-bf16"])       # int8 costs time
        self.assertLess(v["v100-int8-offload"]["energy_cost"]["average_power_w"],
                        v["h200-bf16"]["energy_cost"]["average_power_w"])
        # Offloading f16 weights over PCIe 3 leaves the GPU mostly waiting: near idle power.
        self.assertLess(v["v100-f16-offload"]["energy_cost"]["average_power_w"], 60)

    def test_report_and_summary_show_them(self):
        self.assertIn("USD/h", self.text)
        with open(os.path.join(self.dir, "summary.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 6)
        for r in rows:
            self.assertGreater(float(r["joules_per_item"]), 0)
            self.assertGreater(float(r["usd_per_item"]), 0)
        with open(os.path.join(self.dir, "h200-bf16", "result.json")) as f:
            text = f.read()
        self.assertIn("Spheron", text)  # the price's source travels with the result


class Seed002Ceiling(unittest.TestCase):
    def test_no_placement_beats_the_bus(self):
        out_dir, _ = run_scenario("seed002-gemma27b-phoenix")
        for name, p in variants(out_dir).items():
            floor_rate = p["gen"] * p["batch"] / p["decode"]["ceiling_seconds"]
            self.assertLessEqual(p["decode_tokens_per_s"], floor_rate, name)
            # 11.1 tokens/s of INT8 weights would need more than the 89.6 GB/s datasheet.
            if p["dtype"] == "int8":
                self.assertGreater(p["decode"]["bytes"] / p["decode"]["steps"] * 11.1, 89.6e9)
        v = variants(out_dir)
        self.assertLess(v["b-npu-attention-igpu-mlp"]["decode_tokens_per_s"], v["a-igpu-only"]["decode_tokens_per_s"])
        self.assertGreater(v["d-igpu-int4"]["decode_tokens_per_s"], 1.5 * v["a-igpu-only"]["decode_tokens_per_s"])


class Seed003Training(unittest.TestCase):
    def test_matrix_runs(self):
        out_dir, text = run_scenario("seed003-hybrid-rwkv-mamba-rtx4050", "train")
        with open(os.path.join(out_dir, "summary.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 9)
        self.assertIn("baseline-b8-fp32", text)


def ops_of_last_decode_step(variant_dir):
    with open(os.path.join(variant_dir, "ops.csv"), newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["phase"] == "decode"]
    last = max(int(r["step"]) for r in rows)
    return [r for r in rows if int(r["step"]) == last]


class Seed004Breakdown(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.report = {}
        for model in ("gpt2", "gemma3-1b"):
            name = f"seed004-{model}-ddr5-desktop"
            out_dir, _ = run_scenario(name)
            js = os.path.join(WORK, model + ".json")
            subprocess.run([sys.executable, os.path.join(SCENARIOS, "seed004", "report.py"), out_dir, "--json", js],
                           check=True, capture_output=True, text=True)
            cls.report[model] = (out_dir, load_json(js), variants(out_dir))

    def test_shares_sum_to_one(self):
        for model, (_, rep, _) in self.report.items():
            for name, v in rep["variants"].items():
                self.assertAlmostEqual(sum(v["shares"].values()), 1.0, places=9, msg=f"{model} {name}")
                self.assertAlmostEqual(sum(v["layer_shares"].values()), 1.0, places=9)

    def test_gemv_time_is_bytes_over_measured_bandwidth(self):
        for model, (out_dir, rep, preds) in self.report.items():
            for name, gbs in (("a-measured-read-21", 21.0), ("c-measured-copy-14", 14.0)):
                p = preds[name]
                self.assertTrue(any(f"measured {gbs:g} GB/s (user-note)" in a for a in p["assumptions"]), name)
                fraction = float(re.search(r"memory kernels (\d+)% of the stream bandwidth",
                                           " ".join(p["assumptions"])).group(1)) / 100
                for r in ops_of_last_decode_step(os.path.join(out_dir, name)):
                    if not r["op"].endswith("ffn_down"):
                        continue
                    moved = sum(float(r[k]) for k in ("weight_bytes", "act_read_bytes", "act_write_bytes"))
                    self.assertAlmostEqual(float(r["duration_s"]), float(r["launch_s"]) + moved / (fraction * gbs * 1e9),
                                           delta=1e-9, msg=f"{model} {name} {r['op']}")
                # The report's utilisation is bytes / time / bandwidth.
                down = rep["variants"][name]["ops"]["ffn_down"]
                self.assertAlmostEqual(down["of_read_21"], down["bytes"] / down["seconds"] / 21e9, places=9)
                self.assertLess(down["gbs"], gbs)  # nothing streams faster than the measured bandwidth
                self.assertGreater(down["gbs"], 0.85 * gbs)

    def test_measured_bandwidth_is_slower_than_the_datasheet(self):
        for model, (_, _, preds) in self.report.items():
            t21, t14, t88 = (preds[n]["tpot_s"] for n in ("a-measured-read-21", "c-measured-copy-14", "b-datasheet-88"))
            self.assertLess(t88, t21)
            self.assertLess(t21, t14)
            self.assertLess(t14 / t21, 21 / 14 + 1e-9)  # only the memory-bound part scales

    def test_gpt2_mixed_formats_and_task2(self):
        _, rep, preds = self.report["gpt2"]
        mixed, q8 = preds["a-measured-read-21"], preds["d-task2-q8_0-attention"]
        self.assertEqual(mixed["dtype"], "q8_0+attn=f32")
        # 12 layers x (768 x 2304 + 768 x 768) attention weights at 4 B instead of 34/32 B.
        self.assertAlmostEqual(mixed["memory"]["weights_bytes"] - q8["memory"]["weights_bytes"],
                               12 * 2359296 * (4 - 34 / 32), delta=1)
        self.assertLess(q8["tpot_s"], mixed["tpot_s"])
        self.assertGreater(rep["variants"]["a-measured-read-21"]["shares"]["attention"],
                           rep["variants"]["d-task2-q8_0-attention"]["shares"]["attention"])

    def test_per_node_hypothesis_adds_its_cost_to_every_graph_node(self):
        # Variant e states 175 us per graph node instead of llama.cpp's 3 us: each op's launch
        # is its node count x 175 us, and the step grows by (175 - 3) us per node of the step.
        for model, (out_dir, _, preds) in self.report.items():
            ops = ops_of_last_decode_step(os.path.join(out_dir, "e-per-op-175us"))
            nodes = sum(int(r["kernels"]) for r in ops)
            for r in ops:
                self.assertAlmostEqual(float(r["launch_s"]), int(r["kernels"]) * 175e-6, delta=1e-12, msg=r["op"])
            base = ops_of_last_decode_step(os.path.join(out_dir, "a-measured-read-21"))
            grown = sum(float(r["duration_s"]) for r in ops) - sum(float(r["duration_s"]) for r in base)
            self.assertAlmostEqual(grown, nodes * 172e-6, delta=1e-6, msg=model)
            self.assertTrue(any("175 us" in a for a in preds["e-per-op-175us"]["assumptions"]), model)

    def test_gemma_task6(self):
        _, rep, _ = self.report["gemma3-1b"]
        t6 = rep["variants"]["a-measured-read-21"]["task6"]
        per_layer = 1152 * 6912 * 34 / 32  # down_proj weights, q8_0 (ops.csv prints 6 significant digits)
        self.assertAlmostEqual(t6["down_bytes_per_layer"], per_layer, delta=1e-5 * per_layer)
        self.assertAlmostEqual(t6["ms_saved_per_token"], 26 * t6["down_bytes_per_layer"] * (1 / 0.79 - 1 / 0.90) / 14e9 * 1e3,
                               places=9)
        layers = rep["variants"]["a-measured-read-21"]["layer_shares"]
        self.assertAlmostEqual(layers["ffn"], 0.85, delta=0.03)  # the note's 15 : 85


@unittest.skipUnless(BENCH, "needs $LLMSIM_BENCH for import-csv")
class Seed000Calibration(unittest.TestCase):
    def test_report(self):
        js = os.path.join(WORK, "seed000.json")
        out = subprocess.run([sys.executable, os.path.join(SCENARIOS, "seed000-calibration", "report.py"), "--llmsim",
                              LLMSIM, "--bench", BENCH, "--work", os.path.join(WORK, "seed000"), "--json", js],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        rep = load_json(js)
        for gpu in ("v100-sxm2-16gb", "a100-pcie-40gb", "rtx-4090"):
            c = rep["calibration"][gpu]
            self.assertGreaterEqual(c["figures"], 2)
            self.assertLessEqual(c["fitted"]["matmul.max_fraction"][1], 1.0)
            rates = rep["effective_tflops"][gpu]
            geo = math.exp(sum(math.log(r) for k, r in rates.items() if k != "geometric_mean") / 3)
            self.assertAlmostEqual(rates["geometric_mean"], geo, places=9)
            self.assertGreater(max(rates.values()) / min(rates.values()), 100)  # what one constant cannot follow
        self.assertLess(rep["calibration"]["v100-sxm2-16gb"]["held_out_pct"], 5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
