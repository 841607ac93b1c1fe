"""Cumulative distributions of serving latencies: time to first token, time per output token
and end-to-end time, one panel each, one line per input (compare configurations by giving
several). Percentile markers show p50, p90 and p99 of the first input.

Reads requests.csv of `llmsim serve` (columns ttft_s, tpot_s, e2e_s, output_tokens, finish_s).
Requests that did not finish (finish_s < 0) are left out. TPOT is drawn over requests with more
than one output token (llmsim counts a one-token answer's TPOT as 0, which is no latency).
"""
import math
import os

from .common import PlotInputError, find_in_dir, number, read_csv

HELP = "TTFT, TPOT and end-to-end latency CDFs from `llmsim serve` output"
INPUT_HELP = "a `llmsim serve` output directory or its requests.csv (several to compare)"
METRICS = (("ttft_s", "time to first token"), ("tpot_s", "time per output token"), ("e2e_s", "end to end"))


def add_arguments(p):
    p.add_argument("--labels", help="comma-separated names of the inputs (default: their directory names)")
    p.add_argument("--logx", action="store_true", help="logarithmic time axes")


def percentile(sorted_values, q):
    """Nearest-rank percentile (the smallest value with at least q% of the values at or below it)."""
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def load_one(path):
    csv_path = find_in_dir(path, ["requests.csv"], "a `llmsim serve` output")
    _, rows = read_csv(csv_path, ["ttft_s", "tpot_s", "e2e_s", "output_tokens", "finish_s"])
    values = {m: [] for m, _ in METRICS}
    unfinished = 0
    for i, row in enumerate(rows, start=1):
        if number(csv_path, i, "finish_s", row["finish_s"]) < 0:
            unfinished += 1
            continue
        values["ttft_s"].append(number(csv_path, i, "ttft_s", row["ttft_s"]))
        values["e2e_s"].append(number(csv_path, i, "e2e_s", row["e2e_s"]))
        if number(csv_path, i, "output_tokens", row["output_tokens"]) > 1:
            values["tpot_s"].append(number(csv_path, i, "tpot_s", row["tpot_s"]))
    if not values["e2e_s"]:
        raise PlotInputError(f"{csv_path}: no finished request")
    return csv_path, {m: sorted(v) for m, v in values.items()}, unfinished, len(rows)


def load(args):
    labels = args.labels.split(",") if args.labels else []
    if labels and len(labels) != len(args.inputs):
        raise PlotInputError(f"--labels gives {len(labels)} name(s) for {len(args.inputs)} input(s)")
    runs = []
    for i, path in enumerate(args.inputs):
        csv_path, values, unfinished, total = load_one(path)
        label = labels[i] if labels else os.path.basename(os.path.dirname(os.path.abspath(csv_path)))
        runs.append({"label": label, "path": csv_path, "values": values, "unfinished": unfinished, "requests": total})
    return {"runs": runs}


def draw(plt, data, args):
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    plotted = {"runs": []}
    cmap = plt.get_cmap("tab10")
    for r, run in enumerate(data["runs"]):
        entry = {"label": run["label"], "requests": run["requests"], "unfinished": run["unfinished"], "metrics": {}}
        for ax, (metric, title) in zip(axes, METRICS):
            v = run["values"][metric]
            if not v:
                continue
            n = len(v)
            # Empirical CDF: a step up by 1/n at each value.
            xs = [v[0]] + [x for x in v for _ in (0, 1)]
            ys = [0.0] + [y for i in range(n) for y in (i / n, (i + 1) / n)]
            ax.plot(xs, ys, color=cmap(r % 10), linewidth=1.4, label=f"{run['label']} (n={n})",
                    gid=f"cdf-{metric}-{r}")
            pct = {f"p{q}": percentile(v, q) for q in (50, 90, 99)}
            if r == 0:
                for q, x in pct.items():
                    ax.axvline(x, color="gray", linewidth=0.6, linestyle=":")
                    ax.annotate(f"{q} {x:.3g}s", (x, 1.0), rotation=90, fontsize=6, color="dimgray",
                                xytext=(2, -2), textcoords="offset points", va="top")
            entry["metrics"][metric] = {"values": v, **pct}
        plotted["runs"].append(entry)
    for ax, (metric, title) in zip(axes, METRICS):
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("seconds")
        ax.set_ylim(0, 1.02)
        if args.logx:
            ax.set_xscale("log")
        ax.grid(True, linewidth=0.3)
        ax.legend(fontsize=7, loc="lower right")
    axes[0].set_ylabel("fraction of requests")
    first = data["runs"][0]
    note = f", {first['unfinished']} unfinished left out" if first["unfinished"] else ""
    fig.suptitle(args.title or f"serving latency: {first['requests']} requests{note}", fontsize=11)
    fig.tight_layout()
    return fig, plotted
