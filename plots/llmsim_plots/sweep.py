"""A metric against a swept parameter, from a sweep CSV: one line per series.

The CSV has one row per point, the swept keys as columns (`batch`, `prompt`, `hardware`, ...)
and metrics (`decode_tokens_per_s`, `output_tokens_per_s`, ...). --x and --y name the columns,
--series the column that splits the points into lines, --where COL=VALUE keeps only matching
rows. Rows whose `status` column (when there is one) is not `ok` are left out and counted.
Two rows with the same series and x are an error: fix the other swept columns with --where.
"""
from .common import PlotInputError, find_in_dir, number, read_csv

HELP = "a metric (tokens/s) against batch or context from a sweep CSV"
INPUT_HELP = "a sweep CSV (or a directory holding sweep.csv)"


def add_arguments(p):
    p.add_argument("--x", default="batch", help="column on the x axis (default: batch)")
    p.add_argument("--y", default="decode_tokens_per_s", help="metric column (default: decode_tokens_per_s)")
    p.add_argument("--series", help="column whose values make separate lines (e.g. hardware)")
    p.add_argument("--where", action="append", default=[], metavar="COL=VALUE", help="keep rows with COL == VALUE")
    p.add_argument("--logx", choices=["auto", "yes", "no"], default="auto",
                   help="log2 x axis (auto: when x spans a factor of 8 or more)")


def load(args):
    if len(args.inputs) != 1:
        raise PlotInputError("sweep takes one input (a sweep CSV)")
    path = find_in_dir(args.inputs[0], ["sweep.csv"], "a sweep output")
    required = [args.x, args.y] + ([args.series] if args.series else [])
    filters = []
    for w in args.where:
        if "=" not in w:
            raise PlotInputError(f"--where {w!r}: expected COL=VALUE")
        col, value = w.split("=", 1)
        filters.append((col, value))
        required.append(col)
    columns, rows = read_csv(path, required)
    series = {}
    skipped = []
    numeric_x = True
    kept = []
    for i, row in enumerate(rows, start=1):
        if any(row.get(c) != v for c, v in filters):
            continue
        if "status" in columns and row["status"] != "ok":
            skipped.append({"row": i, "status": row["status"]})
            continue
        kept.append((i, row))
        try:
            float(row[args.x])
        except (TypeError, ValueError):
            numeric_x = False
    seen = {}
    for i, row in kept:
        name = row[args.series] if args.series else args.y
        x = number(path, i, args.x, row[args.x]) if numeric_x else row[args.x]
        y = number(path, i, args.y, row[args.y])
        key = (name, x)
        if key in seen:
            # Name the parameter columns that differ, not the metrics (*_s, *_per_s, *_bytes).
            others = [c for c in columns if c not in (args.x, args.y, args.series, "status", "error") and
                      not c.endswith(("_s", "_bytes", "_pct")) and rows[seen[key] - 1].get(c) != row.get(c)]
            raise PlotInputError(f"{path}: rows {seen[key]} and {i} both give {args.x}={row[args.x]}"
                                 + (f" for {args.series}={name}" if args.series else "")
                                 + (f"; they differ in {', '.join(others[:4])}: pick one with --where or --series"
                                    if others else ""))
        seen[key] = i
        series.setdefault(name, []).append((x, y))
    if not series:
        raise PlotInputError(f"{path}: no rows left to plot" + (f" ({len(skipped)} not ok)" if skipped else "")
                             + (" after --where" if filters else ""))
    for points in series.values():
        points.sort(key=lambda p: p[0])
    return {"path": path, "series": series, "skipped": skipped, "numeric_x": numeric_x}


def draw(plt, data, args):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    categories = []
    if not data["numeric_x"]:
        categories = sorted({x for pts in data["series"].values() for x, _ in pts})
    xs = [x for pts in data["series"].values() for x, _ in pts]
    log = args.logx == "yes" or (args.logx == "auto" and data["numeric_x"] and min(xs) > 0 and max(xs) / min(xs) >= 8)
    if log and data["numeric_x"] and min(xs) <= 0:
        raise PlotInputError(f"--logx yes: {args.x} has values <= 0")
    plotted = {"x": args.x, "y": args.y, "series_column": args.series, "skipped": data["skipped"], "series": {}}
    for name in sorted(data["series"], key=str):
        pts = data["series"][name]
        xv = [categories.index(x) if categories else x for x, _ in pts]
        ax.plot(xv, [y for _, y in pts], marker="o", label=str(name), gid=f"series-{name}")
        plotted["series"][str(name)] = [[x, y] for x, y in pts]
    if categories:
        ax.set_xticks(range(len(categories)))
        ax.set_xticklabels(categories, rotation=20, ha="right", fontsize=8)
    elif log:
        ax.set_xscale("log", base=2)
        ticks = sorted(set(xs))
        if len(ticks) <= 16:
            ax.set_xticks(ticks)
            ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_xlabel(args.x)
    ax.set_ylabel(args.y)
    ax.set_ylim(bottom=0)
    ax.grid(True, linewidth=0.3)
    if args.series or len(data["series"]) > 1:
        ax.legend(title=args.series, fontsize=8)
    note = f" ({len(data['skipped'])} failed point(s) left out)" if data["skipped"] else ""
    where = f" [{', '.join(args.where)}]" if args.where else ""
    ax.set_title(args.title or f"{args.y} vs {args.x}{where}{note}", fontsize=10)
    fig.tight_layout()
    return fig, plotted
