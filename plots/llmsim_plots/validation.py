"""Predicted against measured time, one point per record, on log-log axes, with the bands in
which the error is within 10% and 25%.

Reads the CSV `llmsim validate --csv` writes (columns measured_s, predicted_s and class).
The error is llmsim's, of the rate: measured_s / predicted_s - 1 (+ = predicted faster), so the
±10% band is measured/1.1 <= predicted <= measured/0.9. The legend counts the points inside.
"""
from .common import PlotInputError, find_in_dir, number, read_csv

HELP = "predicted vs measured scatter with ±10% / ±25% bands from `llmsim validate --csv`"
INPUT_HELP = "the predicted-vs-measured CSV of `llmsim validate --csv`"
BANDS = (0.10, 0.25)


def add_arguments(p):
    p.add_argument("--color-by", default="class", help="column that colours the points (default: class)")
    p.add_argument("--facet", action="store_true",
                   help="one panel per group of --color-by (per family for `validate --corpus --csv`)")


def load(args):
    if len(args.inputs) != 1:
        raise PlotInputError("validation takes one input (a validate CSV)")
    path = find_in_dir(args.inputs[0], ["predicted.csv"], "a validate output")
    columns, rows = read_csv(path, ["measured_s", "predicted_s"])
    color_by = args.color_by if args.color_by in columns else None
    if args.color_by != "class" and color_by is None:
        raise PlotInputError(f"{path}: no column {args.color_by!r} (--color-by); it has {', '.join(columns)}")
    groups, omitted = {}, []
    for i, row in enumerate(rows, start=1):
        measured = number(path, i, "measured_s", row["measured_s"])
        predicted = number(path, i, "predicted_s", row["predicted_s"])
        if measured <= 0 or predicted <= 0:
            omitted.append({"row": i, "id": row.get("id", ""), "measured_s": measured, "predicted_s": predicted})
            continue
        groups.setdefault(row[color_by] if color_by else "records", []).append((measured, predicted))
    if not groups:
        raise PlotInputError(f"{path}: no row with positive measured_s and predicted_s")
    return {"path": path, "groups": groups, "omitted": omitted}


def within(measured, predicted, band):
    return abs(measured / predicted - 1.0) <= band + 1e-12


def bands_and_diagonal(ax, lo, hi, labels=True):
    xs = [lo * (hi / lo) ** (i / 64) for i in range(65)]
    ax.fill_between(xs, [x / 1.25 for x in xs], [x / 0.75 for x in xs], color="0.92", linewidth=0,
                    label="±25%" if labels else None, gid="band-25")
    ax.fill_between(xs, [x / 1.10 for x in xs], [x / 0.90 for x in xs], color="0.80", linewidth=0,
                    label="±10%" if labels else None, gid="band-10")
    ax.plot([lo, hi], [lo, hi], color="black", linewidth=0.8, gid="diagonal")


def draw_facets(plt, data, args):
    names = sorted(data["groups"])
    cols = min(4, len(names))
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
    plotted = {"error": "measured_s / predicted_s - 1", "groups": {}, "omitted": data["omitted"]}
    for i, name in enumerate(names):
        ax = axes[i // cols][i % cols]
        pts = data["groups"][name]
        lo = min(min(m, p) for m, p in pts) / 2
        hi = max(max(m, p) for m, p in pts) * 2
        bands_and_diagonal(ax, lo, hi, labels=False)
        inside = {f"{int(b * 100)}": sum(within(m, p, b) for m, p in pts) for b in BANDS}
        ax.plot([m for m, _ in pts], [p for _, p in pts], linestyle="none", marker="o", markersize=3,
                color="tab:blue", markeredgecolor="black", markeredgewidth=0.3, gid=f"points-{name}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal")
        ax.tick_params(which="both", labelsize=6)
        ax.set_title(f"{name}\n{inside['10']}/{len(pts)} within 10%, {inside['25']} within 25%", fontsize=7)
        plotted["groups"][name] = {"points": [[m, p] for m, p in pts], "within": inside}
    for j in range(len(names), rows * cols):
        axes[j // cols][j % cols].axis("off")
    every = [p for pts in data["groups"].values() for p in pts]
    plotted["within"] = {f"{int(b * 100)}": sum(within(m, p, b) for m, p in every) for b in BANDS}
    fig.supxlabel("measured time (s)", fontsize=8)
    fig.supylabel("predicted time (s)", fontsize=8)
    if args.title:
        fig.suptitle(args.title, fontsize=10)
    fig.tight_layout()
    return fig, plotted


def draw(plt, data, args):
    if getattr(args, "facet", False):
        return draw_facets(plt, data, args)
    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    every = [p for pts in data["groups"].values() for p in pts]
    lo = min(min(m, p) for m, p in every) / 2
    hi = max(max(m, p) for m, p in every) * 2
    bands_and_diagonal(ax, lo, hi)
    cmap = plt.get_cmap("tab10")
    plotted = {"error": "measured_s / predicted_s - 1", "groups": {}, "omitted": data["omitted"]}
    for i, name in enumerate(sorted(data["groups"])):
        pts = data["groups"][name]
        inside = {f"{int(b * 100)}": sum(within(m, p, b) for m, p in pts) for b in BANDS}
        ax.plot([m for m, _ in pts], [p for _, p in pts], linestyle="none", marker="o", markersize=4,
                color=cmap(i % 10), markeredgecolor="black", markeredgewidth=0.3, alpha=0.9,
                label=f"{name}: {inside['10']}/{len(pts)} within 10%, {inside['25']} within 25%",
                gid=f"points-{name}")
        plotted["groups"][name] = {"points": [[m, p] for m, p in pts], "within": inside}
    total = len(every)
    plotted["within"] = {f"{int(b * 100)}": sum(within(m, p, b) for m, p in every) for b in BANDS}
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel("measured time (s)")
    ax.set_ylabel("predicted time (s)")
    ax.grid(True, which="major", linewidth=0.3)
    ax.legend(fontsize=6, loc="upper left")
    w = plotted["within"]
    ax.set_title(args.title or f"predicted vs measured: {w['10']}/{total} within 10%, {w['25']}/{total} within 25%",
                 fontsize=10)
    fig.tight_layout()
    return fig, plotted
