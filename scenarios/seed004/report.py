#!/usr/bin/env python3
"""Seed 004's tables from an `llmsim run` of a seed004 scenario: where a decode step's time
goes (attention / FFN / LM head / other, as the note's bars), each weight-streaming op's
bandwidth against the *measured* 21 GB/s read and 14 GB/s copy of the user's machine (and
the 88 GB/s datasheet), and what the note's backlog Task #6 (down_proj from 79% to 90% of
14 GB/s) saves, worked from llmsim's bytes.

    llmsim run scenarios/seed004-gemma3-1b-ddr5-desktop.yaml --out results/s4g
    python3 scenarios/seed004/report.py results/s4g [--json out.json]

Reads only files llmsim wrote (result.json, each variant's ops.csv); Python 3 standard library.
"""
import argparse
import csv
import json
import os
import re
import sys

READ_GBS, COPY_GBS, DATASHEET_GBS = 21.0, 14.0, 88.0  # the user's note (seed 004)
SEED_DOWN_NOW, SEED_DOWN_TARGET = 0.79, 0.90          # Task #6: of the 14 GB/s copy figure

# The note's categories: "Attention", "FFN" (both inside "Layers"), "Projection" (lm_head), "Other".
CATEGORY = {"attention": "attention", "mlp": "ffn", "lm_head": "lm_head"}


def op_role(name):
    """'L3.ffn_down' -> 'ffn_down'; names without a layer prefix are kept."""
    return re.sub(r"^L\d+\.", "", name)


def last_decode_step(ops_csv):
    with open(ops_csv, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["phase"] == "decode"]
    if not rows:
        raise SystemExit(f"{ops_csv}: no decode rows (was gen 0?)")
    last = max(int(r["step"]) for r in rows)
    return [r for r in rows if int(r["step"]) == last]


def op_bytes(r):
    return sum(float(r[k]) for k in ("weight_bytes", "kv_read_bytes", "kv_write_bytes", "act_read_bytes",
                                     "act_write_bytes"))


def analyse(variant_dir, layers):
    rows = last_decode_step(os.path.join(variant_dir, "ops.csv"))
    step_s = max(float(r["end_s"]) for r in rows) - min(float(r["issued_s"]) for r in rows)
    by_cat, by_role = {}, {}
    for r in rows:
        cat = CATEGORY.get(r["group"], "other")
        t = float(r["duration_s"])
        by_cat[cat] = by_cat.get(cat, 0.0) + t
        role = op_role(r["op"])
        agg = by_role.setdefault(role, {"seconds": 0.0, "bytes": 0.0, "weight_bytes": 0.0, "count": 0})
        agg["seconds"] += t
        agg["bytes"] += op_bytes(r)
        agg["weight_bytes"] += float(r["weight_bytes"])
        agg["count"] += 1
    total = sum(by_cat.values())
    shares = {k: v / total for k, v in sorted(by_cat.items())}
    in_layers = by_cat.get("attention", 0.0) + by_cat.get("ffn", 0.0)
    out = {
        "step_s": step_s,
        "op_seconds": total,
        "shares": shares,
        "layer_shares": {k: by_cat.get(k, 0.0) / in_layers for k in ("attention", "ffn")} if in_layers else {},
        "ops": {},
    }
    if "ffn_gate" in by_role and "ffn_up" in by_role:  # the note measures them together ("Gate+Up")
        g, u = by_role["ffn_gate"], by_role["ffn_up"]
        by_role["gate+up"] = {k: g[k] + u[k] for k in g}
    for role, a in sorted(by_role.items(), key=lambda kv: -kv[1]["seconds"]):
        if a["bytes"] <= 0 or a["seconds"] <= 0:
            continue
        gbs = a["bytes"] / a["seconds"] / 1e9
        out["ops"][role] = {"count": a["count"], "seconds": a["seconds"], "bytes": a["bytes"], "gbs": gbs,
                            "share_of_step": a["seconds"] / total, "of_read_21": gbs / READ_GBS,
                            "of_copy_14": gbs / COPY_GBS, "of_datasheet_88": gbs / DATASHEET_GBS}
    down = by_role.get("ffn_down")
    if down and layers and "ffn_gate" in by_role:  # Task #6 is about Gemma's gated FFN
        per_layer = down["weight_bytes"] / down["count"]
        t_now = per_layer / (SEED_DOWN_NOW * COPY_GBS * 1e9)
        t_target = per_layer / (SEED_DOWN_TARGET * COPY_GBS * 1e9)
        out["task6"] = {"down_bytes_per_layer": per_layer, "ms_per_layer_at_79": t_now * 1e3,
                        "ms_per_layer_at_90": t_target * 1e3, "ms_saved_per_token": (t_now - t_target) * layers * 1e3}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", help="the --out directory of `llmsim run` on a seed004 scenario")
    ap.add_argument("--json", help="also write the figures as JSON here")
    args = ap.parse_args()
    with open(os.path.join(args.results, "result.json")) as f:
        combined = json.load(f)
    report = {"scenario": combined["scenario"]["name"], "variants": {}}
    for v in combined["variants"]:
        if "prediction" not in v:
            print(f"{v['name']}: failed: {v.get('error')}", file=sys.stderr)
            continue
        p = v["prediction"]
        layers = len({int(r["layer"]) for r in last_decode_step(os.path.join(args.results, v["name"], "ops.csv"))
                      if int(r["layer"]) >= 0})
        a = analyse(os.path.join(args.results, v["name"]), layers)
        a.update({"decode_tokens_per_s": p["decode_tokens_per_s"], "tpot_s": p["tpot_s"], "dtype": p["dtype"],
                  "hardware": p["hardware"], "bandwidth": [x for x in p["assumptions"] if "memory bandwidth" in x]})
        report["variants"][v["name"]] = a

        print(f"== {v['name']}: {p['model']} {p['dtype']} on {p['hardware']}")
        print(f"   decode step {a['tpot_s'] * 1e3:.2f} ms ({a['decode_tokens_per_s']:.1f} tokens/s); "
              + "; ".join(a["bandwidth"]))
        s = a["shares"]
        print("   share of the step: " + ", ".join(f"{k} {100 * x:.1f}%" for k, x in s.items()))
        if a["layer_shares"]:
            print("   inside the layers: attention {:.1f}%, FFN {:.1f}%".format(
                100 * a["layer_shares"]["attention"], 100 * a["layer_shares"]["ffn"]))
        print(f"   {'op':<16} {'n':>3} {'ms/step':>8} {'share':>6} {'MB/step':>8} {'GB/s':>6} {'of 21':>6} {'of 14':>6} "
              f"{'of 88':>6}")
        for role, o in a["ops"].items():
            print(f"   {role:<16} {o['count']:>3} {o['seconds'] * 1e3:>8.3f} {100 * o['share_of_step']:>5.1f}% "
                  f"{o['bytes'] / 1e6:>8.2f} {o['gbs']:>6.1f} "
                  f"{100 * o['of_read_21']:>5.0f}% {100 * o['of_copy_14']:>5.0f}% {100 * o['of_datasheet_88']:>5.0f}%")
        if "task6" in a:
            t = a["task6"]
            print(f"   Task #6 (down_proj {t['down_bytes_per_layer'] / 1e6:.2f} MB per layer): at 79% of 14 GB/s "
                  f"{t['ms_per_layer_at_79']:.3f} ms, at 90% {t['ms_per_layer_at_90']:.3f} ms per layer: "
                  f"{t['ms_saved_per_token']:.2f} ms saved per token over {layers} layers")
        print()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
