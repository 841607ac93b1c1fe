"""Timeline (Gantt chart) of a trace: one row per device stream, memory and link track, one bar
per op or transfer, coloured by op class. Vertical lines mark where each phase begins.

Reads the Chrome/Perfetto trace `llmsim run` writes (trace.json, or a .json.gz of it):
`thread_name` metadata events name the tracks; complete ("X") events are the bars.
--from-s/--to-s cut a window (seconds); bars are clipped to it.
"""
import os

from .common import PlotInputError, find_in_dir
from .roofline import trace_events, track_names

HELP = "Gantt chart per device and link from a trace"
INPUT_HELP = "a trace.json or trace.json.gz, or a `llmsim run` output directory"


def add_arguments(p):
    p.add_argument("--from-s", type=float, default=None, help="start of the window, seconds")
    p.add_argument("--to-s", type=float, default=None, help="end of the window, seconds")


def track_order(name):
    kind = 0 if name.startswith("stream ") else 1 if name.startswith("mem:") else 2
    return kind


def load(args):
    if len(args.inputs) != 1:
        raise PlotInputError("timeline takes one input (a trace)")
    path = find_in_dir(args.inputs[0], ["trace.json", "trace.json.gz"], "a `llmsim run` output")
    events = trace_events(path)
    names = track_names(events, path)
    bars, group_of, phase_start = {}, {}, {}
    for i, e in enumerate(events):
        if e.get("ph") != "X":
            continue
        try:
            start, dur = float(e["ts"]) * 1e-6, float(e["dur"]) * 1e-6
            tid = e["tid"]
        except (KeyError, TypeError, ValueError) as ex:
            raise PlotInputError(f"{path}: event {i} ({e.get('name')!r}): expected numeric ts, dur and a tid") from ex
        if dur < 0:
            raise PlotInputError(f"{path}: event {i} ({e.get('name')!r}): negative duration {dur}")
        cat = e.get("cat", "")
        args_ = e.get("args") if isinstance(e.get("args"), dict) else {}
        if cat != "transfer":
            group_of[e.get("name")] = cat
            phase = args_.get("phase")
            if phase is not None:
                phase_start[phase] = min(phase_start.get(phase, start), start)
        bars.setdefault(tid, []).append((start, dur, cat, e.get("name")))
    if not bars:
        raise PlotInputError(f"{path}: no complete ('X') events")
    lo = args.from_s if args.from_s is not None else min(s for b in bars.values() for s, _, _, _ in b)
    hi = args.to_s if args.to_s is not None else max(s + d for b in bars.values() for s, d, _, _ in b)
    if hi <= lo:
        raise PlotInputError(f"--from-s {lo} must be before --to-s {hi}")
    tracks = []
    for tid, items in bars.items():
        name = names.get(tid, f"track {tid}")
        clipped = []
        for start, dur, cat, op in items:
            s, t = max(start, lo), min(start + dur, hi)
            if t < s or (t == s and dur > 0) or start > hi or start + dur < lo:
                continue
            # A transfer takes the colour of the op it feeds.
            clipped.append((s, t - s, group_of.get(op, cat) if cat == "transfer" else cat))
        if clipped:
            tracks.append({"tid": tid, "name": name, "bars": clipped})
    tracks.sort(key=lambda t: (track_order(t["name"]), t["tid"]))
    if not tracks:
        raise PlotInputError(f"{path}: no events between {lo} s and {hi} s")
    return {"path": path, "tracks": tracks, "window": (lo, hi),
            "phases": {p: s for p, s in phase_start.items() if lo <= s <= hi}}


def time_unit(span):
    if span >= 1:
        return "s", 1.0
    if span >= 1e-3:
        return "ms", 1e3
    return "us", 1e6


def draw(plt, data, args):
    lo, hi = data["window"]
    unit, scale = time_unit(hi - lo)
    tracks = data["tracks"]
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.32 * len(tracks)))
    cats = sorted({c for t in tracks for _, _, c in t["bars"]})
    cmap = plt.get_cmap("tab20")
    colors = {c: cmap(i % 20) for i, c in enumerate(cats)}
    seen = set()
    plotted = {"unit": "s", "window": [lo, hi], "phases": data["phases"], "tracks": []}
    for row, track in enumerate(tracks):
        y = len(tracks) - 1 - row
        for cat in cats:
            spans = [((s - lo) * scale, d * scale) for s, d, c in track["bars"] if c == cat]
            if not spans:
                continue
            ax.broken_barh(spans, (y - 0.4, 0.8), facecolors=colors[cat], edgecolor="none",
                           label=None if cat in seen else cat, gid=f"bars-{track['name']}-{cat}")
            seen.add(cat)
        plotted["tracks"].append({
            "name": track["name"], "events": len(track["bars"]),
            "busy_s": sum(d for _, d, _ in track["bars"]),
            "first_s": min(s for s, _, _ in track["bars"]),
            "last_s": max(s + d for s, d, _ in track["bars"])})
    for phase, start in sorted(data["phases"].items(), key=lambda kv: kv[1]):
        x = (start - lo) * scale
        ax.axvline(x, color="black", linewidth=0.8, linestyle="--")
        ax.annotate(phase, (x, len(tracks) - 0.5), xytext=(2, 0), textcoords="offset points", fontsize=7, va="bottom")
    ax.set_yticks(range(len(tracks)))
    ax.set_yticklabels([t["name"] for t in reversed(tracks)], fontsize=7)
    ax.set_ylim(-0.6, len(tracks) - 0.2)
    ax.set_xlim(0, (hi - lo) * scale)
    ax.set_xlabel(f"time ({unit})" + (f" from {lo:g} s" if lo > 0 else ""))
    ax.grid(True, axis="x", linewidth=0.3)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.005, 1.0), frameon=False,
              ncol=1 if len(cats) <= 24 else 2)
    ax.set_title(args.title or f"timeline: {os.path.basename(data['path'])}", fontsize=10)
    fig.tight_layout()
    return fig, plotted
