"""What a buyer compares: one bar per system for the predicted decode tokens/s (when the
table has predictions) beside its memory bandwidth and f16 peak, from the CSV that
`llmsim hardware compare A B ... --csv FILE` writes. Systems whose model did not fit are hatched.
"""
from .common import PlotInputError, number, read_csv

HELP = "systems side by side from `llmsim hardware compare --csv`"
INPUT_HELP = "the CSV `llmsim hardware compare ... --csv FILE` wrote"

PANELS = [("decode_tokens_per_s", "decode tokens/s (predicted)"),
          ("bandwidth_gbs", "memory bandwidth (GB/s)"),
          ("f16_tflops", "f16 peak (TFLOP/s, dense)")]


def add_arguments(p):
    pass


def load(args):
    if len(args.inputs) != 1:
        raise PlotInputError("compare takes one input (a hardware compare CSV)")
    path = args.inputs[0]
    _, rows = read_csv(path, ["hardware", "bandwidth_gbs", "f16_tflops", "decode_tokens_per_s", "fits"])
    if not rows:
        raise PlotInputError(f"{path}: no systems")
    systems = []
    for i, row in enumerate(rows, start=1):
        s = {"hardware": row["hardware"], "fits": row["fits"].strip().lower() != "no", "row": i}
        for column, _ in PANELS:
            text = row[column].strip()
            s[column] = None if text in ("", "-") else number(path, i, column, text)
        systems.append(s)
    panels = [(c, t) for c, t in PANELS if any(s[c] is not None for s in systems)]
    return {"path": path, "systems": systems, "panels": panels}


def draw(plt, data, args):
    systems, panels = data["systems"], data["panels"]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels) + 1, 0.45 * len(systems) + 1.6), sharey=True)
    if len(panels) == 1:
        axes = [axes]
    names = [s["hardware"] for s in systems]
    plotted = {"panels": {}}
    for ax, (column, title) in zip(axes, panels):
        values = [s[column] if s[column] is not None else 0.0 for s in systems]
        bars = ax.barh(range(len(systems)), values, color="tab:blue", gid=f"bars-{column}")
        for bar, s in zip(bars, systems):
            if column == "decode_tokens_per_s" and not s["fits"]:
                bar.set_hatch("//")
                bar.set_facecolor("white")
                bar.set_edgecolor("tab:red")
        ax.set_title(title, fontsize=9)
        ax.grid(True, axis="x", linewidth=0.3)
        plotted["panels"][column] = [{"hardware": s["hardware"], "value": s[column]} for s in systems]
    axes[0].set_yticks(range(len(systems)))
    axes[0].set_yticklabels(names, fontsize=8)
    axes[0].invert_yaxis()
    fig.suptitle(args.title or f"{len(systems)} systems side by side", fontsize=10)
    fig.tight_layout()
    return fig, plotted
