#!/usr/bin/env python3
"""Runs the llmsim binary the way users and scripts do: the JSON contract, the files
`run` writes, exit codes and error messages for bad input, and byte-identical reruns."""
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

LLMSIM = os.environ["LLMSIM"]
SOURCE = os.environ["LLMSIM_SOURCE_DIR"]
FIXTURES = os.path.join(SOURCE, "tests", "fixtures")


def llmsim(*args, cwd=None):
    return subprocess.run([LLMSIM, *args], capture_output=True, text=True, cwd=cwd)


class Contract(unittest.TestCase):
    def test_predict_json_has_the_contract_fields(self):
        out = llmsim("predict", "--hardware", "rtx-4090", "--model", "llama-3-8b", "--dtype", "q4_k_m",
                     "--prompt", "64", "--gen", "4", "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        j = json.loads(out.stdout)
        for key in ["ttft_s", "prefill_s", "prefill_tokens_per_s", "tpot_s", "decode_tokens_per_s",
                    "output_tokens_per_s", "peak_memory_bytes", "fits", "bound", "hardware", "model", "dtype"]:
            self.assertIn(key, j)
        self.assertEqual(j["hardware"], "rtx-4090")
        self.assertAlmostEqual(j["prefill_tokens_per_s"], 64 / j["prefill_s"], delta=1e-6 * j["prefill_tokens_per_s"])
        self.assertTrue(j["fits"])
        self.assertTrue(any("efficiency" in a for a in j["assumptions"]))

    def test_every_contract_dtype_is_accepted(self):
        for dtype in ["f32", "f16", "bf16", "fp8", "int8", "int4", "q8_0", "q4_0", "q4_k_m", "iq4_xs"]:
            out = llmsim("predict", "--hardware", "h100-sxm5-80gb", "--model", "llama-3-8b", "--dtype", dtype,
                         "--prompt", "0", "--gen", "2", "--json")
            self.assertEqual(out.returncode, 0, f"{dtype}: {out.stderr}")

    def test_run_writes_results_ops_and_trace(self):
        with tempfile.TemporaryDirectory() as tmp:
            scenario = os.path.join(tmp, "s.yaml")
            with open(scenario, "w") as f:
                f.write("name: small\nhardware: apple-m2\nmodel: gpt2\ndtype: f16\nprompt: 32\ngen: 3\n")
            out = llmsim("run", scenario, "--out", os.path.join(tmp, "out"), "--quiet")
            self.assertEqual(out.returncode, 0, out.stderr)
            result = json.load(open(os.path.join(tmp, "out", "result.json")))
            self.assertEqual(result["scenario"]["request"]["model"], "gpt2")
            self.assertGreater(result["prediction"]["decode_tokens_per_s"], 0)
            trace = json.load(open(os.path.join(tmp, "out", "trace.json")))
            tracks = {e["args"]["name"] for e in trace["traceEvents"] if e["ph"] == "M"}
            self.assertIn("stream gpu", tracks)
            self.assertIn("mem:unified", tracks)
            with open(os.path.join(tmp, "out", "ops.csv")) as f:
                lines = f.read().splitlines()
            self.assertTrue(lines[0].startswith("phase,step"))
            self.assertGreater(len(lines), 100)

    def test_variants_run_in_their_own_processes_and_are_compared(self):
        with tempfile.TemporaryDirectory() as tmp:
            scenario = os.path.join(tmp, "v.yaml")
            with open(scenario, "w") as f:
                f.write("name: v\nhardware: ryzen-7840u\nmodel: gpt2\ndtype: f16\nprompt: 16\ngen: 2\n"
                        "variants:\n"
                        "  - {name: gpu, placement: {policy: single, devices: [gpu]}}\n"
                        "  - {name: split, placement: {policy: by-op-class, devices: [gpu], "
                        "op_classes: {attention: npu, default: gpu}}}\n"
                        "  - {name: broken, placement: {policy: single, devices: [tpu]}}\n")
            out = llmsim("run", scenario, "--out", os.path.join(tmp, "out"), "--quiet")
            self.assertEqual(out.returncode, 1, out.stderr)  # one variant failed, the others ran
            combined = json.load(open(os.path.join(tmp, "out", "result.json")))
            by_name = {v["name"]: v for v in combined["variants"]}
            self.assertGreater(by_name["gpu"]["prediction"]["decode_tokens_per_s"], 0)
            self.assertIn("npu", by_name["split"]["prediction"]["decode"]["devices"])
            self.assertIn("no device 'tpu'", by_name["broken"]["error"])
            with open(os.path.join(tmp, "out", "summary.csv")) as f:
                self.assertEqual(len(f.read().splitlines()), 4)
            self.assertTrue(os.path.exists(os.path.join(tmp, "out", "split", "trace.json")))

    def test_same_inputs_same_bytes(self):
        with tempfile.TemporaryDirectory() as tmp:
            outputs = []
            for name in ["a", "b"]:
                out = llmsim("run", os.path.join(SOURCE, "scenarios", "default.yaml"), "--out",
                             os.path.join(tmp, name), "--quiet")
                self.assertEqual(out.returncode, 0, out.stderr)
                outputs.append([open(os.path.join(tmp, name, f), "rb").read()
                                for f in ["result.json", "ops.csv", "trace.json"]])
            self.assertEqual(outputs[0], outputs[1])

    def test_catalog_commands(self):
        out = llmsim("hardware", "list")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(len(out.stdout.splitlines()), len(os.listdir(os.path.join(SOURCE, "hwmodels", "catalog"))))
        out = llmsim("hardware", "show", "h200-sxm-141gb")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("4800", out.stdout)

    def test_hardware_compare_agrees_with_the_catalog_and_predict(self):
        with tempfile.TemporaryDirectory() as tmp:
            table = os.path.join(tmp, "compare.csv")
            out = llmsim("hardware", "compare", "rtx-4090", "rtx-3090", "--model", "llama-3-8b", "--dtype", "q4_k_m",
                         "--prompt", "0", "--gen", "16", "--csv", table)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("[ada-wp]", out.stdout)  # sources printed beside the numbers
            with open(table) as f:
                rows = {r["hardware"]: r for r in csv.DictReader(f)}
        self.assertEqual(float(rows["rtx-4090"]["bandwidth_gbs"]), 1008)  # the catalog's datasheet figures
        self.assertEqual(float(rows["rtx-3090"]["bandwidth_gbs"]), 936)
        for hw in ("rtx-4090", "rtx-3090"):
            one = llmsim("predict", "--hardware", hw, "--model", "llama-3-8b", "--dtype", "q4_k_m", "--prompt", "0",
                         "--gen", "16", "--json")
            self.assertEqual(one.returncode, 0, one.stderr)
            expected = json.loads(one.stdout)["decode_tokens_per_s"]
            self.assertAlmostEqual(float(rows[hw]["decode_tokens_per_s"]), expected, delta=0.051)


class BadInput(unittest.TestCase):
    def expect(self, args, code, *fragments):
        out = llmsim(*args)
        self.assertEqual(out.returncode, code, out.stdout + out.stderr)
        for fragment in fragments:
            self.assertIn(fragment, out.stderr)

    def test_unknown_ids_list_the_known_ones(self):
        self.expect(["predict", "--hardware", "rtx-9090", "--model", "llama-3-8b"], 1, "unknown hardware id", "rtx-4090")
        self.expect(["predict", "--hardware", "rtx-4090", "--model", "llama-9"], 1, "unknown model id", "llama-3-8b")
        self.expect(["predict", "--hardware", "rtx-4090", "--model", "llama-3-8b", "--dtype", "q9_z"], 1,
                    "unknown dtype 'q9_z'", "q4_k_m")
        self.expect(["predict", "--hardware", "rtx-4090", "--model", "llama-3-8b", "--software", "tgi"], 1,
                    "unknown software profile", "vllm")

    def test_flag_values_refused_while_parsing_are_input_errors(self):
        # Parsed in the flag's own callback: an InputError there once ended the run in std::terminate.
        self.expect(["predict", "--hardware", "rtx-4090", "--model", "gpt2", "--placement", "round-robin"], 1,
                    "--placement", "unknown placement 'round-robin'", "layer-split")
        self.expect(["predict", "--hardware", "4x-rtx-4090", "--model", "gpt2", "--tp", "2", "--collectives", "star"],
                    1, "--collectives", "must be ring, tree, got 'star'")

    def test_absurd_sizes(self):
        self.expect(["predict", "--hardware", "rtx-4090", "--model", "llama-3-8b", "--batch", "-3"], 1, "--batch")
        self.expect(["predict", "--hardware", "rtx-4090", "--model", "llama-3-8b", "--gen", "1000000000"], 1, "--gen")
        self.expect(["predict", "--hardware", "rtx-4090", "--model", "llama-3-8b", "--batch", "many"], 2)
        self.expect(["predict", "--hardware", "rtx-4090", "--model", "llama-3-8b", "--tp", "2"], 1,
                    "2 ranks need 2 devices; system 'rtx-4090' has 1 GPU(s)")
        self.expect(["predict", "--hardware", "dgx-h100", "--model", "llama-3-8b", "--tp", "3"], 1,
                    "32 attention heads of llama-3-8b cannot be split over 3 ranks")
        self.expect(["predict", "--hardware", "ryzen-7840u", "--model", "gemma-3-1b", "--placement", "by-op-class",
                     "--op-classes", "attention=tpu"], 1, "no device 'tpu'")

    def test_unsupported_architecture(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "falcon.json")
            with open(config, "w") as f:
                f.write('{"architectures": ["FalconForCausalLM"]}')
            self.expect(["predict", "--hardware", "h200-sxm-141gb", "--model", config], 1,
                        "unsupported architecture 'FalconForCausalLM'")
        self.expect(["predict", "--hardware", "h200-sxm-141gb", "--model", "llama-3-8b", "--images", "1"], 1,
                    "has no image encoder")

    def test_model_that_does_not_fit_is_a_result_with_exit_3(self):
        out = llmsim("predict", "--hardware", "rtx-4090", "--model", "llama-3-70b", "--dtype", "f16",
                     "--prompt", "0", "--gen", "1", "--json")
        self.assertEqual(out.returncode, 3, out.stderr)
        j = json.loads(out.stdout)
        self.assertFalse(j["fits"])
        self.assertGreater(j["peak_memory_bytes"], j["memory"]["capacity_bytes"])
        text = llmsim("predict", "--hardware", "rtx-4090", "--model", "llama-3-70b", "--dtype", "f16",
                      "--prompt", "0", "--gen", "1")
        self.assertIn("DOES NOT FIT", text.stdout)

    def test_bad_scenarios_name_file_and_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = os.path.join(tmp, "bad.yaml")
            with open(bad, "w") as f:
                f.write("hardware: rtx-4090\nmodel: llama-3-8b\nbatchsize: 4\n")
            self.expect(["run", bad, "--out", tmp], 1, "bad.yaml:3", "unknown key(s) batchsize")
            with open(bad, "w") as f:
                f.write("hardware: rtx-4090\nmodel: [llama\n")
            self.expect(["run", bad, "--out", tmp], 1, "bad.yaml:", "malformed YAML")
            with open(bad, "w") as f:
                f.write("hardware: rtx-4090\nmodel: llama-3-8b\nbatch: lots\n")
            self.expect(["run", bad, "--out", tmp], 1, "bad.yaml:3", "'batch' must be a number")
        self.expect(["run", "/nonexistent/x.yaml"], 1, "file not found")


if __name__ == "__main__":
    unittest.main(verbosity=2)
