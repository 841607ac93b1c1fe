#!/usr/bin/env python3
"""`llmsim plot` as users run it, on hand-made inputs (tests/fixtures/plots/, expected values
worked out by hand) and on what llmsim writes for small runs (expected values recomputed here
from the files the plot read). Every image is checked as a file (PNG chunks and CRCs, IHDR
size, decodable; SVG parses as XML) and as a drawing: the --data-out sidecar must hold the
expected values and the SVG must hold one marker or bar per plotted value, at coordinates
that map linearly (or log-linearly) onto them. Run with /usr/bin/python3: matplotlib is
required (scripts/install-deps.sh installs python3-matplotlib); without it this test fails."""
import gzip
import json
import math
import os
import shutil
import stat
import struct
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET
import zlib

import matplotlib.image  # noqa: F401  (an ImportError here fails the test, as it should)
import yaml

LLMSIM = os.environ["LLMSIM"]
SOURCE = os.environ["LLMSIM_SOURCE_DIR"]
BENCH = os.environ["LLMSIM_BENCH"]
FIX = os.path.join(SOURCE, "tests", "fixtures", "plots")

TINY_RUN = """name: tiny
description: "gpt2 f16 on an H100, for plots_test"
hardware: h100-sxm5-80gb
model: gpt2
software: vllm
dtype: f16
kv_dtype: f16
batch: 4
prompt: 64
gen: 8
"""
TINY_SERVE = """name: tiny-serve
hardware: h100-sxm5-80gb
model: llama-3-8b
software: vllm
dtype: bf16
kv_dtype: bf16
scheduler: {policy: continuous, max_batch: 64, max_batched_tokens: 4096}
workload: {arrival: poisson, rate: 8, requests: 60, seed: 3, lengths: {distribution: sharegpt, prompt_max: 1024}}
slo: {ttft_s: 1.0, tpot_s: 0.1}
cost: {usd_per_device_hour: 3.5}
"""
TINY_PLAN = """name: tiny-plan
serve: serve.yaml
grid:
  hardware: [h100-sxm5-80gb]
  replicas: [1, 2]
  tp: [1]
  max_batch: [4, 64]
target: {ttft_p99_s: 0.5}
parallel: 2
"""


def llmsim(*args, env=None):
    return subprocess.run([LLMSIM, *args], capture_output=True, text=True, env=env)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def load_json(path):
    return json.loads(read_text(path))


def load_yaml(path):
    return yaml.safe_load(read_text(path))


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def png_info(path):
    """(width, height) of a PNG whose signature, chunk CRCs, IHDR and IEND are all right."""
    data = read_bytes(path)
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG signature"
    pos, chunks = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"{path}: bad CRC in chunk {kind}"
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND", f"{path}: chunks {[c[0] for c in chunks]}"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (height, width), f"{path}: decoded {pixels.shape}, IHDR {width}x{height}"
    assert pixels.std() > 0.01, f"{path}: a blank image"
    return width, height


def svg_groups(path):
    """{id: element} of an SVG that parses as XML."""
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), f"{path}: root is {root.tag}"
    return {e.get("id"): e for e in root.iter() if e.get("id")}


def markers(group):
    """(x, y) of every marker (<use>) drawn in a group."""
    return [(float(u.get("x")), float(u.get("y"))) for u in group.iter() if u.tag.endswith("use")]


def bars(group):
    return [p for p in group.iter() if p.tag.endswith("path")]


def assert_affine(tc, values, coords, what):
    """coords = a + b * values for every pair (a straight-line mapping, as an axis draws)."""
    pairs = sorted(zip(values, coords))
    (v0, c0), (v1, c1) = pairs[0], pairs[-1]
    tc.assertNotEqual(v0, v1, what)
    b = (c1 - c0) / (v1 - v0)
    for v, c in pairs:
        tc.assertAlmostEqual(c, c0 + b * (v - v0), delta=0.05, msg=f"{what}: value {v} drawn at {c}")


class Plots(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="llmsim-plots-")
        t = cls.tmp
        with open(os.path.join(t, "tiny.yaml"), "w") as f:
            f.write(TINY_RUN)
        with open(os.path.join(t, "serve.yaml"), "w") as f:
            f.write(TINY_SERVE)
        with open(os.path.join(t, "plan.yaml"), "w") as f:
            f.write(TINY_PLAN)
        steps = [
            [LLMSIM, "run", os.path.join(t, "tiny.yaml"), "--out", os.path.join(t, "run"), "--quiet"],
            [LLMSIM, "serve", os.path.join(t, "serve.yaml"), "--out", os.path.join(t, "serve"), "--quiet"],
            [LLMSIM, "plan", os.path.join(t, "plan.yaml"), "--out", os.path.join(t, "plan")],
            [BENCH, "import-csv", os.path.join(SOURCE, "validate", "data", "public_kernels.csv"),
             "-o", os.path.join(t, "kernels.pb")],
            [LLMSIM, "validate", "--measurements", os.path.join(t, "kernels.pb"), "--hardware", "h100-sxm5-80gb",
             "--skip-other-hardware", "--csv", os.path.join(t, "predicted.csv")],
        ]
        for cmd in steps:
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)}: exit {out.returncode}\n{out.stdout}{out.stderr}")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def plot(self, kind, *args, out="p.svg", expect=0, env=None):
        """Runs `llmsim plot KIND ARGS -o OUT --data-out` and returns (sidecar, output path)."""
        path = os.path.join(self.tmp, out)
        data = path + ".data.json"
        for p in (path, data):
            if os.path.exists(p):
                os.remove(p)
        r = llmsim("plot", kind, *args, "-o", path, "--data-out", data, env=env)
        self.assertEqual(r.returncode, expect, f"plot {kind} {args}: {r.stdout}{r.stderr}")
        if expect != 0:
            self.assertFalse(os.path.exists(path), "a failed plot left an image")
            return r.stderr, None
        self.assertTrue(os.path.isfile(path))
        if path.endswith(".png"):
            png_info(path)
        else:
            svg_groups(path)
        return load_json(data), path

    # ---- roofline -------------------------------------------------------------------------
    def test_roofline_fixture(self):
        d, svg = self.plot("roofline", os.path.join(FIX, "trace.json"), "--roofs", os.path.join(FIX, "roofs.json"))
        gpu = {(p["phase"], p["group"]): p for p in d["devices"]["gpu"]["points"]}
        npu = {(p["phase"], p["group"]): p for p in d["devices"]["npu"]["points"]}
        # By hand: 4 GFLOP / 1 GB in 1 ms; 8 GFLOP / 2 GB in 2 ms; two decode ops of 1 GFLOP / 1 GB in 0.5 ms.
        expected = {("prefill", "attention"): (4.0, 4e12, 1), ("prefill", "mlp"): (4.0, 4e12, 1),
                    ("decode", "attention"): (1.0, 2e12, 2)}
        self.assertEqual(set(gpu), set(expected))
        for key, (ai, rate, ops) in expected.items():
            self.assertTrue(close(gpu[key]["intensity"], ai), key)
            self.assertTrue(close(gpu[key]["flops_per_s"], rate), key)
            self.assertEqual(gpu[key]["ops"], ops)
        self.assertTrue(close(npu[("decode", "mlp")]["intensity"], 4.0))
        self.assertTrue(close(npu[("decode", "mlp")]["flops_per_s"], 2e12))
        self.assertEqual([(o["phase"], o["group"]) for o in d["devices"]["gpu"]["omitted"]], [("decode", "norm")])
        self.assertEqual(d["devices"]["gpu"]["peak_flops"], {"f32": 1e13, "f16": 1e14})
        g = svg_groups(svg)
        self.assertEqual(len(markers(g["points-gpu-decode-attention"])), 1)
        self.assertEqual(len(markers(g["points-npu-decode-mlp"])), 1)
        for gid in ("roof-memory-datasheet", "roof-memory-achievable", "roof-compute-f16", "roof-compute-int8"):
            self.assertIn(gid, g)
        # Two panels side by side at 6.4 x 4.8 in, 100 dpi.
        _, png = self.plot("roofline", os.path.join(FIX, "trace.json"), "--roofs", os.path.join(FIX, "roofs.json"),
                           out="roof.png")
        self.assertEqual(png_info(png), (1280, 480))

    def test_roofline_of_a_run(self):
        d, svg = self.plot("roofline", os.path.join(self.tmp, "run"))
        catalog = load_yaml(os.path.join(SOURCE, "hwmodels", "catalog", "h100-sxm5-80gb.yaml"))
        kinds = load_yaml(os.path.join(SOURCE, "hwmodels", "defaults", "memory-kinds.yaml"))
        vram = [m for m in catalog["memories"] if m["id"] == "vram"][0]
        gpu_yaml = [x for x in catalog["devices"] if x["id"] == "gpu"][0]
        gpu = d["devices"]["gpu"]
        self.assertEqual(set(d["devices"]), {"gpu"})
        for dtype, q in gpu_yaml["peak_tflops"].items():
            self.assertTrue(close(gpu["peak_flops"][dtype], q["value"] * 1e12), dtype)
        self.assertTrue(close(gpu["bandwidth_bytes_per_s"], vram["bandwidth_gbs"]["value"] * 1e9))
        fraction = kinds["kinds"][vram["kind"]]["stream_fraction"]
        self.assertTrue(close(gpu["achievable_bytes_per_s"], vram["bandwidth_gbs"]["value"] * 1e9 * fraction))
        # The points, summed here from the trace independently of the script.
        trace = load_json(os.path.join(self.tmp, "run", "trace.json"))
        names = {e["tid"]: e["args"]["name"] for e in trace["traceEvents"] if e["ph"] == "M"}
        sums = {}
        for e in trace["traceEvents"]:
            if e["ph"] == "X" and e["cat"] != "transfer" and names[e["tid"]] == "stream gpu":
                s = sums.setdefault((e["args"]["phase"], e["args"]["group"]), [0.0, 0.0, 0.0])
                s[0] += e["args"]["flops"]
                s[1] += e["args"]["bytes"]
                s[2] += e["dur"] * 1e-6
        drawn = {(p["phase"], p["group"]): p for p in gpu["points"]}
        self.assertEqual(set(drawn), {k for k, s in sums.items() if s[0] > 0 and s[1] > 0})
        self.assertTrue({"attention", "mlp", "lm_head"} <= {g for _, g in drawn})
        top = max(gpu["peak_flops"].values())
        g = svg_groups(svg)
        for (phase, group), p in drawn.items():
            f, b, t = sums[(phase, group)]
            self.assertTrue(close(p["intensity"], f / b, 1e-12) and close(p["flops_per_s"], f / t, 1e-9), (phase, group))
            # Nothing the simulator runs may beat the roofline of the datasheet.
            self.assertLessEqual(p["flops_per_s"], min(top, p["intensity"] * gpu["bandwidth_bytes_per_s"]) * 1.000001)
            self.assertEqual(len(markers(g[f"points-gpu-{phase}-{group}"])), 1)

    # ---- timeline -------------------------------------------------------------------------
    def test_timeline_fixture(self):
        d, svg = self.plot("timeline", os.path.join(FIX, "trace.json"))
        tracks = [(t["name"], t["events"], round(t["busy_s"], 12), t["first_s"], t["last_s"]) for t in d["tracks"]]
        self.assertEqual(tracks, [("stream gpu", 5, 0.00401, 0.0, 0.00401), ("stream npu", 1, 0.001, 0.003, 0.004),
                                  ("mem:vram", 1, 0.001, 0.0, 0.001), ("link:pcie:up", 1, 0.0008, 0.003, 0.0038)])
        self.assertEqual(d["phases"], {"prefill": 0.0, "decode": 0.003})
        g = svg_groups(svg)
        self.assertEqual(len(bars(g["bars-stream gpu-attention"])), 3)
        self.assertEqual(len(bars(g["bars-link:pcie:up-mlp"])), 1)  # a transfer takes its op's colour
        # The same trace gzipped gives the same values.
        gz = os.path.join(self.tmp, "trace.json.gz")
        with open(os.path.join(FIX, "trace.json"), "rb") as f, gzip.open(gz, "wb") as z:
            z.write(f.read())
        d_gz, _ = self.plot("timeline", gz, out="tl-gz.png")
        self.assertEqual(d_gz, d)
        # A window from 3.5 to 4.5 ms clips the bars that cross it and drops those outside.
        w, _ = self.plot("timeline", os.path.join(FIX, "trace.json"), "--from-s", "0.0035", "--to-s", "0.0045")
        got = {t["name"]: (t["events"], round(t["busy_s"], 12)) for t in w["tracks"]}
        self.assertEqual(got, {"stream gpu": (2, 0.00051), "stream npu": (1, 0.0005), "link:pcie:up": (1, 0.0003)})

    def test_timeline_of_a_run(self):
        d, _ = self.plot("timeline", os.path.join(self.tmp, "run"), out="tl.png")
        trace = load_json(os.path.join(self.tmp, "run", "trace.json"))
        names = {e["tid"]: e["args"]["name"] for e in trace["traceEvents"] if e["ph"] == "M"}
        counts, busy = {}, {}
        for e in trace["traceEvents"]:
            if e["ph"] == "X":
                counts[names[e["tid"]]] = counts.get(names[e["tid"]], 0) + 1
                busy[names[e["tid"]]] = busy.get(names[e["tid"]], 0.0) + e["dur"] * 1e-6
        self.assertEqual({t["name"]: t["events"] for t in d["tracks"]}, counts)
        for t in d["tracks"]:
            self.assertTrue(close(t["busy_s"], busy[t["name"]], 1e-9), t["name"])
        self.assertEqual(set(d["phases"]), {"prefill", "decode"})

    # ---- sweep ----------------------------------------------------------------------------
    def test_sweep_fixture(self):
        sweep = os.path.join(FIX, "sweep.csv")
        d, svg = self.plot("sweep", sweep, "--series", "hardware", "--where", "prompt=512")
        self.assertEqual(d["series"], {"h100-sxm5-80gb": [[1, 100], [4, 380], [16, 1200]],
                                       "a100-sxm4-80gb": [[1, 60], [4, 220], [16, 700]]})
        self.assertEqual(d["skipped"], [{"row": 4, "status": "failed"}])
        g = svg_groups(svg)
        pts, vals = [], []
        for name, series in d["series"].items():
            m = markers(g[f"series-{name}"])
            self.assertEqual(len(m), len(series))
            pts += m
            vals += series
        # x on a log2 axis (1..16 spans 16x), y linear; SVG y grows downwards.
        assert_affine(self, [math.log2(x) for x, _ in vals], [p[0] for p in pts], "x")
        assert_affine(self, [y for _, y in vals], [p[1] for p in pts], "y")
        self.assertGreater(pts[0][1], pts[2][1])  # 100 t/s is drawn below 1200 t/s
        # Against context instead, with output tokens/s.
        d, _ = self.plot("sweep", sweep, "--x", "prompt", "--y", "output_tokens_per_s", "--series", "hardware",
                         "--where", "batch=1", out="ctx.png")
        self.assertEqual(d["series"], {"h100-sxm5-80gb": [[512, 90], [4096, 40]],
                                       "a100-sxm4-80gb": [[512, 55], [4096, 25]]})
        # Two rows at the same point: the message says which parameter tells them apart.
        err, _ = self.plot("sweep", sweep, "--series", "hardware", expect=1)
        self.assertIn("rows 1 and 5 both give batch=1", err)
        self.assertIn("prompt", err)

    # ---- validation -----------------------------------------------------------------------
    def test_validation_fixture(self):
        d, svg = self.plot("validation", os.path.join(FIX, "predicted.csv"))
        # Errors of the rate: 0, +5.3, +17.6, -50, -16.7, -4.8 %; "nopred" has no prediction.
        self.assertEqual(d["within"], {"10": 3, "25": 5})
        self.assertEqual({k: v["within"] for k, v in d["groups"].items()},
                         {"gemm": {"10": 2, "25": 3}, "copy": {"10": 0, "25": 1}, "decode_step": {"10": 1, "25": 1}})
        self.assertEqual([o["id"] for o in d["omitted"]], ["nopred"])
        g = svg_groups(svg)
        pts, vals = [], []
        for name, grp in d["groups"].items():
            m = markers(g[f"points-{name}"])
            self.assertEqual(len(m), len(grp["points"]))
            pts += m
            vals += grp["points"]
        assert_affine(self, [math.log10(m) for m, _ in vals], [p[0] for p in pts], "measured")
        assert_affine(self, [math.log10(p) for _, p in vals], [p[1] for p in pts], "predicted")
        self.assertIn("band-10", g)
        self.assertIn("band-25", g)

    def test_validation_of_validate_output(self):
        d, _ = self.plot("validation", os.path.join(self.tmp, "predicted.csv"), out="val.png")
        rows = read_text(os.path.join(self.tmp, "predicted.csv")).splitlines()[1:]
        errors = [float(r.split(",")[8]) for r in rows]  # llmsim's own error_pct column
        self.assertEqual(sum(len(g["points"]) for g in d["groups"].values()), len(rows))
        self.assertGreater(len(rows), 0)
        self.assertEqual(d["within"]["10"], sum(abs(e) <= 10 for e in errors))
        self.assertEqual(d["within"]["25"], sum(abs(e) <= 25 for e in errors))

    # ---- latency --------------------------------------------------------------------------
    def test_latency_fixture(self):
        d, svg = self.plot("latency", os.path.join(FIX, "requests.csv"))
        run = d["runs"][0]
        self.assertEqual((run["requests"], run["unfinished"]), (6, 1))
        m = run["metrics"]
        self.assertEqual(m["ttft_s"]["values"], [0.1, 0.2, 0.3, 0.4, 0.5])
        self.assertEqual(m["tpot_s"]["values"], [0.1, 0.2, 0.3, 0.3])  # the one-token answer has no TPOT
        self.assertEqual(m["e2e_s"]["values"], [0.1, 0.9, 1.0, 1.4, 2.9])
        self.assertEqual((m["ttft_s"]["p50"], m["ttft_s"]["p90"], m["tpot_s"]["p50"]), (0.3, 0.5, 0.2))
        g = svg_groups(svg)
        for metric in ("ttft_s", "tpot_s", "e2e_s"):
            self.assertIn(f"cdf-{metric}-0", g)

    def test_latency_of_serve_output(self):
        serve = os.path.join(self.tmp, "serve")
        d, _ = self.plot("latency", serve, serve, "--labels", "a,b", out="lat.png")
        self.assertEqual([r["label"] for r in d["runs"]], ["a", "b"])
        lines = read_text(os.path.join(serve, "requests.csv")).splitlines()
        header = lines[0].split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:]]
        done = [r for r in rows if float(r["finish_s"]) >= 0]
        m = d["runs"][0]["metrics"]
        self.assertEqual(m["ttft_s"]["values"], sorted(float(r["ttft_s"]) for r in done))
        self.assertEqual(m["e2e_s"]["values"], sorted(float(r["e2e_s"]) for r in done))
        self.assertEqual(m["tpot_s"]["values"], sorted(float(r["tpot_s"]) for r in done if int(r["output_tokens"]) > 1))
        summary = load_json(os.path.join(serve, "serve.json"))
        self.assertAlmostEqual(m["e2e_s"]["values"][-1], summary["e2e_s"]["max"], places=6)

    # ---- compare --------------------------------------------------------------------------
    def test_compare_fixture(self):
        d, svg = self.plot("compare", os.path.join(FIX, "compare.csv"))
        self.assertEqual([v["value"] for v in d["panels"]["decode_tokens_per_s"]], [120.5, 190.25, 0.0])
        self.assertEqual([v["value"] for v in d["panels"]["bandwidth_gbs"]], [1008, 1792, 360])
        g = svg_groups(svg)
        self.assertIn("bars-f16_tflops", g)

    def test_compare_of_hardware_compare_output(self):
        table = os.path.join(self.tmp, "compare.csv")
        r = llmsim("hardware", "compare", "rtx-4090", "rtx-3060-12gb", "--model", "llama-3.2-1b", "--dtype", "q4_k_m",
                   "--prompt", "16", "--gen", "2", "--csv", table)
        self.assertEqual(r.returncode, 0, r.stderr)
        d, _ = self.plot("compare", table)
        values = [v["value"] for v in d["panels"]["decode_tokens_per_s"]]
        self.assertEqual(len(values), 2)
        self.assertGreater(values[0], values[1])  # 1008 GB/s against 360 GB/s for a memory-bound decode

    # ---- pareto ---------------------------------------------------------------------------
    def test_pareto_fixture(self):
        d, svg = self.plot("pareto", os.path.join(FIX, "plan.csv"))
        self.assertEqual(d["cost"], "usd_per_hour")
        self.assertEqual([(p["row"], p["cost"], p["y"]) for p in d["front"]], [(4, 2, 6), (1, 4, 10), (5, 6, 17),
                                                                              (2, 8, 18)])
        self.assertEqual(len(d["points"]), 5)
        self.assertEqual([f["row"] for f in d["failed"]], [6])
        g = svg_groups(svg)
        self.assertEqual(len(markers(g["points-meets"])), 3)
        self.assertEqual(len(markers(g["points-misses"])), 2)

    def test_pareto_of_plan_output(self):
        plan = os.path.join(self.tmp, "plan")
        d, _ = self.plot("pareto", plan, out="par.png")
        # llmsim plan computes its own front (pareto.csv); the plot's must be the same points.
        lines = read_text(os.path.join(plan, "pareto.csv")).splitlines()[1:]
        front = sorted((float(x.split(",")[5]), float(x.split(",")[6])) for x in lines)
        self.assertEqual(sorted((f["cost"], f["y"]) for f in d["front"]), front)
        self.assertEqual(len(d["points"]), 4)

    # ---- every kind -----------------------------------------------------------------------
    def test_same_input_same_bytes(self):
        cases = [("roofline", os.path.join(FIX, "trace.json"), "--roofs", os.path.join(FIX, "roofs.json")),
                 ("timeline", os.path.join(FIX, "trace.json")),
                 ("sweep", os.path.join(FIX, "sweep.csv"), "--series", "hardware", "--where", "prompt=512"),
                 ("validation", os.path.join(FIX, "predicted.csv")),
                 ("latency", os.path.join(FIX, "requests.csv")),
                 ("pareto", os.path.join(FIX, "plan.csv"))]
        for case in cases:
            for ext in ("png", "svg"):
                images = []
                for i in range(2):
                    _, path = self.plot(*case, out=f"same-{case[0]}-{i}.{ext}")
                    images.append(read_bytes(path))
                self.assertEqual(images[0], images[1], f"{case[0]} {ext}: two runs differ")
                self.assertNotIn(b"<dc:date>", images[0])

    def test_errors(self):
        tmp = self.tmp
        bad_csv = os.path.join(tmp, "bad.csv")
        with open(bad_csv, "w") as f:
            f.write("batch,status\n1,ok\n")
        bad_num = os.path.join(tmp, "badnum.csv")
        with open(bad_num, "w") as f:
            f.write("id,class,measured_s,predicted_s\nx,gemm,fast,1\n")
        bad_json = os.path.join(tmp, "bad.json")
        with open(bad_json, "w") as f:
            f.write('{"traceEvents": [')
        deep_json = os.path.join(tmp, "deep.json")
        with open(deep_json, "w") as f:
            f.write('{"traceEvents": ' + "[" * 50000 + "]" * 50000 + "}")
        fifo = os.path.join(tmp, "fifo.json")
        os.mkfifo(fifo)
        cases = [
            (("timeline", deep_json), 1, "nested too deeply"),  # was a Python RecursionError traceback
            (("timeline", fifo), 1, "not a regular file"),      # would block forever on open
            (("sweep", bad_csv), 1, "expected column(s) decode_tokens_per_s"),
            (("validation", bad_num), 1, "row 1, column measured_s: expected a number, got 'fast'"),
            (("timeline", bad_json), 1, "not valid JSON"),
            (("latency", os.path.join(tmp, "no-such-dir")), 1, "no such file or directory"),
            (("roofline", os.path.join(FIX, "trace.json")), 1, "pass --hardware"),
            (("roofline", os.path.join(FIX, "trace.json"), "--hardware", "no-such-gpu"), 1, "no-such-gpu"),
            (("pareto", os.path.join(FIX, "sweep.csv")), 1, "expected column(s)"),
            (("no-such-kind", bad_csv), 2, "invalid choice"),
        ]
        for args, code, message in cases:
            err, _ = self.plot(*args, expect=code)
            self.assertIn(message, err, args)
        r = llmsim("plot", "sweep", os.path.join(FIX, "sweep.csv"), "-o", os.path.join(tmp, "x.pdf"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("must end in .png or .svg", r.stderr)
        r = llmsim("plot")
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing KIND", r.stderr)
        # No interpreter, and an interpreter without matplotlib: exit 1 with what to install.
        env = dict(os.environ, LLMSIM_PYTHON=os.path.join(tmp, "no-python"))
        err, _ = self.plot("validation", os.path.join(FIX, "predicted.csv"), expect=1, env=env)
        self.assertIn("python3-matplotlib", err)
        bare = os.path.join(tmp, "bare-python")
        with open(bare, "w") as f:
            f.write('#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n')  # -S: no site-packages, so no matplotlib
        os.chmod(bare, os.stat(bare).st_mode | stat.S_IXUSR)
        err, _ = self.plot("validation", os.path.join(FIX, "predicted.csv"), expect=1,
                           env=dict(os.environ, LLMSIM_PYTHON=bare))
        self.assertIn("matplotlib is not installed", err)

    def test_roofs_command(self):
        r = llmsim("plot", "roofs", "ryzen-7840u")
        self.assertEqual(r.returncode, 0, r.stderr)
        roofs = {d["id"]: d for d in json.loads(r.stdout)["devices"]}
        self.assertEqual(set(roofs), {"cpu", "gpu", "npu"})
        self.assertTrue(close(roofs["npu"]["peak_flops"]["int8"], 10e12))
        # DDR5 at 89.6 GB/s datasheet; 0.70 of it achievable (memory-kinds.yaml).
        self.assertTrue(close(roofs["gpu"]["bandwidth_bytes_per_s"], 89.6e9))
        self.assertTrue(close(roofs["gpu"]["achievable_bytes_per_s"], 89.6e9 * 0.70))


if __name__ == "__main__":
    unittest.main(verbosity=2)
