"""Cost against goodput of every configuration a `llmsim plan` simulated, with the Pareto
front (no other point is at most as costly and at least as good, and better in one) drawn as a
staircase. Points that meet the plan's target are filled; the others hollow.

Reads plan.csv of `llmsim plan`. Cost is usd_per_hour, or the device count when the plan had
no prices (the same rule the plan uses); failed points (an error) are left out.
"""
from .common import PlotInputError, find_in_dir, number, read_csv

HELP = "cost vs goodput Pareto front from `llmsim plan` output"
INPUT_HELP = "a `llmsim plan` output directory or its plan.csv"


def add_arguments(p):
    p.add_argument("--y", default="goodput_requests_per_s",
                   help="the 'good' column (default: goodput_requests_per_s)")


def pareto_front(points):
    """Indices of the points no other point dominates (cost lower or equal, y higher or equal)."""
    front = []
    for i, (ci, yi) in enumerate(points):
        dominated = any(ck <= ci and yk >= yi and (ck < ci or yk > yi)
                        for k, (ck, yk) in enumerate(points) if k != i)
        if not dominated:
            front.append(i)
    return front


def load(args):
    if len(args.inputs) != 1:
        raise PlotInputError("pareto takes one input (a plan output)")
    path = find_in_dir(args.inputs[0], ["plan.csv"], "a `llmsim plan` output")
    _, rows = read_csv(path, ["hardware", "replicas", "tp", "max_batch", "devices", "usd_per_hour", args.y,
                              "meets_target", "error"])
    points, failed = [], []
    for i, row in enumerate(rows, start=1):
        if row["error"] or row["devices"] == "":
            failed.append({"row": i, "error": row["error"]})
            continue
        usd = number(path, i, "usd_per_hour", row["usd_per_hour"])
        devices = number(path, i, "devices", row["devices"])
        label = f"{row['replicas']}x {row['hardware']} tp{row['tp']} b{row['max_batch']}"
        if row.get("software"):  # plans that vary the engine, formats or a prefill/decode split
            label += f" {row['software']} {row['dtype']}/{row['kv_dtype']}"
            if row.get("prefill_replicas") not in (None, "", "0"):
                label += f" pd{row['prefill_replicas']}"
        points.append({"label": label,
                       "usd_per_hour": usd, "devices": devices, "y": number(path, i, args.y, row[args.y]),
                       "meets": row["meets_target"].strip().lower() == "true", "row": i})
    if not points:
        raise PlotInputError(f"{path}: no configuration finished ({len(failed)} failed)")
    priced = all(p["usd_per_hour"] > 0 for p in points)
    for p in points:
        p["cost"] = p["usd_per_hour"] if priced else p["devices"]
    return {"path": path, "points": points, "failed": failed, "priced": priced}


def draw(plt, data, args):
    pts = data["points"]
    front = sorted(pareto_front([(p["cost"], p["y"]) for p in pts]), key=lambda i: (pts[i]["cost"], pts[i]["y"]))
    fig, ax = plt.subplots(figsize=(7.5, 5))
    meets = [p for p in pts if p["meets"]]
    misses = [p for p in pts if not p["meets"]]
    if meets:
        ax.plot([p["cost"] for p in meets], [p["y"] for p in meets], linestyle="none", marker="o", color="tab:green",
                label="meets the target", gid="points-meets")
    if misses:
        ax.plot([p["cost"] for p in misses], [p["y"] for p in misses], linestyle="none", marker="o",
                markerfacecolor="none", color="tab:red", label="misses the target", gid="points-misses")
    fx = [pts[i]["cost"] for i in front]
    fy = [pts[i]["y"] for i in front]
    ax.step(fx, fy, where="post", color="black", linewidth=1.0, label="Pareto front", gid="front")
    for i in front:
        ax.annotate(pts[i]["label"], (pts[i]["cost"], pts[i]["y"]), xytext=(4, -10), textcoords="offset points",
                    fontsize=6)
    ax.set_xlabel("cost ($/hour)" if data["priced"] else "devices (the plan has no prices)")
    ax.set_ylabel(args.y)
    ax.margins(x=0.15)
    ax.set_ylim(bottom=0)
    ax.grid(True, linewidth=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(args.title or f"cost vs {args.y}: {len(pts)} configurations, {len(front)} on the front", fontsize=10)
    fig.tight_layout()
    plotted = {"cost": "usd_per_hour" if data["priced"] else "devices", "y": args.y, "failed": data["failed"],
               "points": [{k: p[k] for k in ("label", "cost", "y", "meets", "row")} for p in pts],
               "front": [{k: pts[i][k] for k in ("label", "cost", "y", "row")} for i in front]}
    return fig, plotted
