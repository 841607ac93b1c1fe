#!/usr/bin/env python3
"""Mixture-of-experts from the command line: expert parallelism shows its all-to-all time,
experts kept in host memory put work on the CPU and weights in DRAM, and a device cache of
experts moves both back toward the GPU."""
import json
import os
import subprocess
import tempfile
import unittest

LLMSIM = os.environ["LLMSIM"]


def predict(*args):
    out = subprocess.run([LLMSIM, "predict", "--json", *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError(out.stderr)
    return json.loads(out.stdout)


class ExpertParallel(unittest.TestCase):
    def test_ep_adds_all_to_all_and_tp_does_not(self):
        common = ["--hardware", "dgx-h100", "--model", "mixtral-8x7b", "--software", "vllm", "--batch", "8",
                  "--prompt", "64", "--gen", "2"]
        tp = predict(*common, "--tp", "2")
        ep = predict(*common, "--tp", "2", "--ep", "2")
        self.assertNotIn("all_to_all", tp["decode"]["seconds_by_group"])
        self.assertGreater(ep["decode"]["seconds_by_group"]["all_to_all"], 0)
        self.assertTrue(any("ep=2" in a for a in ep["assumptions"]))

    def test_ep_must_divide_the_experts(self):
        out = subprocess.run([LLMSIM, "predict", "--hardware", "dgx-h100", "--model", "mixtral-8x7b", "--ep", "3",
                              "--prompt", "8", "--gen", "1"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 1)
        self.assertIn("cannot be spread evenly over 3 ranks", out.stderr)


class HostExperts(unittest.TestCase):
    common = ["--hardware", "desktop-rtx-3060-12gb", "--model", "qwen3-30b-a3b", "--dtype", "Q4_K_M",
              "--prompt", "64", "--gen", "4", "--n-cpu-moe", "48"]

    def memory(self, j, name):
        return next(m for m in j["memories"] if m["memory"] == name)

    def test_cpu_computes_host_experts_and_a_cache_moves_work_back(self):
        plain = predict(*self.common)
        cached = predict(*self.common, "--expert-cache-hit", "0.5")
        for j in (plain, cached):
            self.assertIn("cpu", j["decode"]["devices"])
            self.assertIn("gpu", j["decode"]["devices"])
        # Every routed expert lives in DRAM; the cache adds half the experts' weights to VRAM.
        self.assertGreater(self.memory(plain, "dram")["weights_bytes"], 15e9)
        self.assertGreater(self.memory(cached, "vram")["weights_bytes"], self.memory(plain, "vram")["weights_bytes"] + 5e9)
        self.assertLess(cached["decode"]["devices"]["cpu"]["busy_s"], plain["decode"]["devices"]["cpu"]["busy_s"])

    def test_streaming_experts_is_bound_by_the_host_link(self):
        j = predict(*self.common, "--host-experts", "stream")
        self.assertNotIn("cpu", j["decode"]["devices"])
        self.assertEqual(j["decode"]["bound"], "transfer")


class Cluster(unittest.TestCase):
    def test_the_inter_node_link_bounds_tp16_but_not_tp8_pp2(self):
        common = ["--hardware", "2x-dgx-h100", "--model", "llama-3.1-405b", "--dtype", "fp8", "--software", "vllm",
                  "--batch", "4", "--prompt", "128", "--gen", "2"]
        tp16 = predict(*common, "--tp", "16")["decode"]["seconds_by_link"]
        tp8pp2 = predict(*common, "--tp", "8", "--pp", "2")["decode"]["seconds_by_link"]
        # A 16-rank ring crosses the 50 GB/s NICs: every all-reduce waits for them.
        self.assertEqual(max(tp16, key=tp16.get), "infiniband-ndr")
        # Tensor parallelism inside each node; only the stage hand-over crosses nodes.
        self.assertEqual(max(tp8pp2, key=tp8pp2.get), "nvlink4")

    def test_gb200_nvl72_runs_tp72_in_one_nvlink_domain(self):
        # A made-up model whose 72 heads split over 72 ranks (8 KV heads, replicated 9 ways).
        config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 9216,
                  "intermediate_size": 36864, "num_hidden_layers": 4, "num_attention_heads": 72,
                  "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 8192}
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "heads72.json")
            with open(path, "w") as f:
                json.dump(config, f)
            j = predict("--hardware", "gb200-nvl72", "--model", path, "--software", "vllm", "--tp", "72",
                        "--prompt", "64", "--gen", "2")
        self.assertIn("tp=72", j["assumptions"][0])
        self.assertEqual(set(j["decode"]["seconds_by_link"]), {"nvlink5"})


if __name__ == "__main__":
    unittest.main()
