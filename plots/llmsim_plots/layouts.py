"""The layouts `llmsim train FILE --search` tried: tokens/s per GPU against memory per device,
one point per layout (filled when it fits, hollow when it does not), the device memory as a
vertical line when the CSV's runs share one, and the best fitting layout labelled.
"""
from .common import PlotInputError, find_in_dir, number, read_csv

HELP = "training layouts from `llmsim train --search`: tokens/s per GPU vs memory per device"
INPUT_HELP = "a `llmsim train --search` output directory or its search.csv"


def add_arguments(p):
    p.add_argument("--capacity-gb", type=float, default=None,
                   help="draw the device memory at this many GB")


def load(args):
    if len(args.inputs) != 1:
        raise PlotInputError("layouts takes one input (a train --search output)")
    path = find_in_dir(args.inputs[0], ["search.csv"], "a `llmsim train --search` output")
    _, rows = read_csv(path, ["layout", "fits", "tokens_per_s_per_gpu", "memory_bytes", "error"])
    points, refused = [], []
    for i, row in enumerate(rows, start=1):
        if row["error"].strip():
            refused.append({"row": i, "layout": row["layout"], "error": row["error"]})
            continue
        points.append({"layout": row["layout"], "row": i, "fits": row["fits"].strip().lower() == "true",
                       "tokens_per_s_per_gpu": number(path, i, "tokens_per_s_per_gpu", row["tokens_per_s_per_gpu"]),
                       "memory_gb": number(path, i, "memory_bytes", row["memory_bytes"]) / 1e9})
    if not points:
        raise PlotInputError(f"{path}: no layout was simulated ({len(refused)} refused)")
    return {"path": path, "points": points, "refused": refused}


def draw(plt, data, args):
    pts = data["points"]
    fig, ax = plt.subplots(figsize=(7.5, 5))
    fits = [p for p in pts if p["fits"]]
    misses = [p for p in pts if not p["fits"]]
    if fits:
        ax.plot([p["memory_gb"] for p in fits], [p["tokens_per_s_per_gpu"] for p in fits], linestyle="none",
                marker="o", color="tab:green", label="fits", gid="points-fit")
    if misses:
        ax.plot([p["memory_gb"] for p in misses], [p["tokens_per_s_per_gpu"] for p in misses], linestyle="none",
                marker="o", markerfacecolor="none", color="tab:red", label="does not fit", gid="points-misses")
    best = max(fits, key=lambda p: p["tokens_per_s_per_gpu"]) if fits else None
    if best:
        ax.annotate(best["layout"], (best["memory_gb"], best["tokens_per_s_per_gpu"]), xytext=(5, 5),
                    textcoords="offset points", fontsize=8)
    if args.capacity_gb:
        ax.axvline(args.capacity_gb, color="grey", linestyle="--", linewidth=0.8, label="device memory")
    ax.set_xscale("log")
    ax.set_xlabel("memory per device (GB, worst stage)")
    ax.set_ylabel("tokens/s per GPU")
    ax.grid(True, linewidth=0.3)
    ax.legend(fontsize=8)
    ax.set_title(args.title or f"{len(pts)} training layouts, {len(fits)} fit", fontsize=10)
    fig.tight_layout()
    return fig, {"points": pts, "best": best, "refused": data["refused"]}
