#!/usr/bin/env python3
"""Independent step-level reference on a real GPU: Hugging Face transformers generate().

The model is built from a committed config.json (workloads/models/) with random weights,
so nothing is downloaded. Greedy decoding with min_new_tokens forces exactly `gen` new
tokens. It measures what `llmsim predict --software pytorch` claims to predict:

  ttft_s          generate(max_new_tokens=1) on a `prompt`-token prompt (prefill + 1 sample)
  decode_s_per_token  (generate(gen + 1) - generate(1)) / gen

  gpu_ops_per_decode_token  GPU kernels and copies per decode token, counted by
                  torch.profiler over generate(9) - generate(1), divided by 8

Each time is the median of `--repeats` runs after warm-ups. Output: one JSON object.
Needs torch and transformers (not llmsim's build; run it where a GPU and PyTorch are).
"""
import argparse
import json
import statistics
import sys
import time


def timed(fn, sync):
    sync()
    t0 = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", help="Hugging Face config.json (e.g. workloads/models/llama-3-8b.json)")
    ap.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--gen", type=int, default=128)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--attn", default="sdpa", help="attn_implementation (sdpa or eager)")
    ap.add_argument("--kernel-table", action="store_true",
                    help="also list the GPU kernels (and copies) per decode token by name")
    args = ap.parse_args()

    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM

    if not torch.cuda.is_available():
        sys.exit("no CUDA GPU: this reference needs one")
    dtype = getattr(torch, args.dtype)
    with open(args.config) as f:
        raw = json.load(f)
    config = AutoConfig.for_model(**{k: v for k, v in raw.items() if not k.startswith("_")})
    config._attn_implementation = args.attn
    torch.manual_seed(0)
    with torch.device("cuda"):
        torch.set_default_dtype(dtype)
        model = AutoModelForCausalLM.from_config(config, attn_implementation=args.attn).to(dtype)
    model.eval()
    vocab = config.vocab_size
    ids = torch.randint(0, vocab, (args.batch, args.prompt), device="cuda")
    mask = torch.ones_like(ids)
    sync = torch.cuda.synchronize

    def generate(n):
        with torch.inference_mode():
            model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n, min_new_tokens=n,
                           do_sample=False, pad_token_id=0, eos_token_id=None)

    for n in (4, args.gen + 1):  # warm-up: cuBLAS heuristics, allocator, the full cache size
        generate(n)
    first = [timed(lambda: generate(1), sync) for _ in range(args.repeats)]
    full = [timed(lambda: generate(args.gen + 1), sync) for _ in range(args.repeats)]
    ttft = statistics.median(first)
    per_token = (statistics.median(full) - ttft) / args.gen
    def gpu_ops(n):
        from collections import Counter
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            generate(n)
        return Counter(e.name for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA)

    nine, one = gpu_ops(9), gpu_ops(1)
    ops_per_token = (sum(nine.values()) - sum(one.values())) / 8
    kernel_table = {name: (nine[name] - one[name]) / 8 for name in nine if nine[name] != one[name]}
    print(json.dumps({
        "config": args.config, "model_type": config.model_type, "dtype": args.dtype,
        "attn_implementation": args.attn, "batch": args.batch, "prompt": args.prompt, "gen": args.gen,
        "ttft_s": ttft, "ttft_runs_s": first, "generate_gen_plus_1_runs_s": full,
        "decode_s_per_token": per_token, "gpu_ops_per_decode_token": ops_per_token, "decode_tokens_per_s": args.batch / per_token,
        "parameters": sum(p.numel() for p in model.parameters()),
        "gpu": torch.cuda.get_device_name(0), "torch": torch.__version__,
        "transformers": transformers.__version__, "cuda": torch.version.cuda,
        **({"kernels_per_decode_token": dict(sorted(kernel_table.items(), key=lambda kv: -kv[1]))}
           if args.kernel_table else {}),
    }))


if __name__ == "__main__":
    main()
