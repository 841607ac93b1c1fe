"""Roofline chart, one panel per device: the memory-bandwidth roof (datasheet, and the achievable
stream bandwidth the simulator uses), a compute roof per dtype the datasheet gives, and each op
class (the trace's op group: attention, ffn, lm_head, ...) of each phase as one point.

A point is the sum over the class's ops in the trace: arithmetic intensity = FLOPs / bytes moved,
achieved FLOP/s = FLOPs / time on the device's stream (launch and contention included). Classes
with no FLOPs or no bytes have no place on a log-log chart; --data-out lists them as omitted.

The roofs (peak FLOP/s per dtype, datasheet and achievable bandwidth of each device's memory) come
from `llmsim plot roofs HARDWARE`, which reads the catalog with the simulator's own code: this
script runs it (the binary in $LLMSIM_EXE, which `llmsim plot` sets, or `llmsim` on PATH) for the
hardware named in result.json or by --hardware, unless --roofs gives a file it wrote.
"""
import json
import os
import shutil
import subprocess
import textwrap

from .common import PlotInputError, find_in_dir, read_json, short_number

HELP = "roofline per device from a run's trace, op classes as points"
INPUT_HELP = "a `llmsim run` output directory (result.json, trace.json) or a trace.json[.gz]"

PHASE_MARKERS = {"vision": "s", "prefill": "o", "decode": "^"}


def add_arguments(p):
    p.add_argument("--roofs", help="device roofs JSON (from `llmsim plot roofs HARDWARE -o FILE`)")
    p.add_argument("--hardware", help="catalog id or system file (default: the run's, from result.json)")
    p.add_argument("--device", action="append", help="only this device (repeatable)")
    p.add_argument("--phase", choices=["all", "vision", "prefill", "decode"], default="all")


def roofs_from_llmsim(hardware):
    """The roofs JSON of `llmsim plot roofs HARDWARE`."""
    exe = os.environ.get("LLMSIM_EXE") or shutil.which("llmsim")
    if not exe:
        raise PlotInputError("cannot find the llmsim binary for the roofs: run `llmsim plot roofline`, put llmsim "
                             "on PATH, or pass --roofs FILE (from `llmsim plot roofs HARDWARE -o FILE`)")
    out = subprocess.run([exe, "plot", "roofs", hardware], capture_output=True, text=True)
    if out.returncode != 0:
        raise PlotInputError(f"hardware {hardware!r}: {out.stderr.strip() or 'llmsim plot roofs failed'}")
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError as e:
        raise PlotInputError(f"`{exe} plot roofs {hardware}` printed no JSON ({e.msg})") from e


def load_roofs(path, roofs=None):
    roofs = read_json(path) if roofs is None else roofs
    devices = {}
    try:
        for d in roofs["devices"]:
            devices[d["id"]] = {
                "peak_flops": {k: float(v) for k, v in d["peak_flops"].items()},
                "bandwidth": float(d["bandwidth_bytes_per_s"]),
                "achievable": float(d["achievable_bytes_per_s"]),
                "memory": d["memory"],
                "name": d.get("name", ""),
            }
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise PlotInputError(f"{path}: expected devices[] with id, memory, peak_flops, bandwidth_bytes_per_s, "
                             f"achievable_bytes_per_s ({e!r})") from e
    return roofs.get("hardware", ""), roofs.get("name", ""), devices


def track_names(trace, path):
    names = {}
    for e in trace:
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            try:
                names[e["tid"]] = e["args"]["name"]
            except (KeyError, TypeError) as ex:
                raise PlotInputError(f"{path}: thread_name event without tid/args.name: {e}") from ex
    return names


def trace_events(path):
    """The trace's events list (Chrome trace: an object with traceEvents, or a bare list)."""
    trace = read_json(path)
    events = trace.get("traceEvents") if isinstance(trace, dict) else trace
    if not isinstance(events, list):
        raise PlotInputError(f"{path}: expected a Chrome trace (an object with a traceEvents list)")
    return events


def op_classes(path, phase_filter):
    """{device: {(phase, group): sums}} over the op events of `stream DEVICE...` tracks."""
    events = trace_events(path)
    names = track_names(events, path)
    classes = {}
    for i, e in enumerate(events):
        if e.get("ph") != "X" or e.get("cat") == "transfer":
            continue
        track = names.get(e.get("tid"), "")
        if not track.startswith("stream "):
            continue
        device = track.split()[1]
        try:
            args = e["args"]
            phase, group = args["phase"], args["group"]
            flops, nbytes, dur = float(args["flops"]), float(args["bytes"]), float(e["dur"]) * 1e-6
        except (KeyError, TypeError, ValueError) as ex:
            raise PlotInputError(f"{path}: event {i} ({e.get('name')!r}): expected dur and args.phase, group, "
                                 f"flops, bytes (an llmsim trace)") from ex
        if phase_filter != "all" and phase != phase_filter:
            continue
        c = classes.setdefault(device, {}).setdefault((phase, group), {"flops": 0.0, "bytes": 0.0,
                                                                       "seconds": 0.0, "ops": 0})
        c["flops"] += flops
        c["bytes"] += nbytes
        c["seconds"] += dur
        c["ops"] += 1
    if not classes:
        raise PlotInputError(f"{path}: no op events on 'stream ...' tracks (is it an llmsim trace?)")
    return classes


def load(args):
    if len(args.inputs) != 1:
        raise PlotInputError("roofline takes one input (a run directory or a trace)")
    trace_path = find_in_dir(args.inputs[0], ["trace.json", "trace.json.gz"], "a `llmsim run` output")
    result_path = os.path.join(os.path.dirname(trace_path), "result.json")
    result = read_json(result_path) if os.path.isfile(result_path) else {}
    prediction = result.get("prediction", {}) if isinstance(result, dict) else {}
    if args.roofs:
        hardware, hardware_name, roofs = load_roofs(args.roofs)
    else:
        request = result.get("scenario", {}).get("request", {}) if isinstance(result, dict) else {}
        hw = args.hardware or request.get("hardware") or prediction.get("hardware")
        if not hw:
            raise PlotInputError(f"{trace_path}: no result.json beside it names the hardware; pass --hardware ID|FILE")
        hardware, hardware_name, roofs = load_roofs(f"roofs of {hw}", roofs_from_llmsim(hw))
    classes = op_classes(trace_path, args.phase)
    devices = sorted(classes)
    if args.device:
        unknown = [d for d in args.device if d not in classes]
        if unknown:
            raise PlotInputError(f"{trace_path}: no ops on device(s) {', '.join(unknown)}; "
                                 f"it has {', '.join(devices)}")
        devices = [d for d in devices if d in args.device]
    missing = [d for d in devices if d not in roofs]
    if missing:
        raise PlotInputError(f"{args.roofs or hardware}: no roofs for device(s) {', '.join(missing)} of {trace_path} "
                             f"(the roofs are of {', '.join(sorted(roofs))})")
    return {"trace": trace_path, "classes": classes, "devices": devices, "roofs": roofs,
            "hardware": hardware, "hardware_name": hardware_name, "prediction": prediction}


def draw(plt, data, args):
    devices = data["devices"]
    ncols = min(len(devices), 3)
    nrows = (len(devices) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.4 * ncols, 4.8 * nrows), squeeze=False)
    groups = sorted({g for d in devices for (_, g) in data["classes"][d]})
    cmap = plt.get_cmap("tab20")
    colors = {g: cmap(i % 20) for i, g in enumerate(groups)}
    plotted = {"hardware": data["hardware"], "trace": os.path.basename(data["trace"]), "devices": {}}
    for ax in axes.flat[len(devices):]:
        ax.set_visible(False)
    for ax, device in zip(axes.flat, devices):
        roof = data["roofs"][device]
        points, omitted = [], []
        for (phase, group), c in sorted(data["classes"][device].items()):
            if c["flops"] <= 0 or c["bytes"] <= 0 or c["seconds"] <= 0:
                omitted.append({"phase": phase, "group": group, "flops": c["flops"], "bytes": c["bytes"]})
                continue
            points.append({"phase": phase, "group": group, "ops": c["ops"], "flops": c["flops"], "bytes": c["bytes"],
                           "seconds": c["seconds"], "intensity": c["flops"] / c["bytes"],
                           "flops_per_s": c["flops"] / c["seconds"]})
        peaks = roof["peak_flops"]
        top = max(peaks.values()) if peaks else max([p["flops_per_s"] for p in points] + [1.0])
        ridges = [v / roof["bandwidth"] for v in peaks.values()] if roof["bandwidth"] > 0 else []
        xs = [p["intensity"] for p in points] + ridges
        x_lo, x_hi = (min(xs) / 10, max(xs) * 10) if xs else (0.01, 1e4)
        ys = [p["flops_per_s"] for p in points]
        y_lo = min(ys + [top]) / 10
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(x_lo, x_hi)
        ax.set_ylim(y_lo, top * 3)
        # Memory roofs: FLOP/s = intensity x bandwidth, up to the highest compute roof.
        for bw, style, label in ((roof["bandwidth"], "-", "datasheet"), (roof["achievable"], "--", "achievable")):
            if bw <= 0 or (label == "achievable" and bw == roof["bandwidth"]):
                continue
            x_end = top / bw
            ax.plot([x_lo, x_end], [x_lo * bw, top], style, color="black", linewidth=1.2,
                    gid=f"roof-memory-{label}", label=f"{roof['memory']} {label} {short_number(bw)}B/s")
        # One roof per distinct peak, labelled with every dtype that has it (bf16/f16, fp8/int8).
        by_peak = {}
        for dtype, peak in peaks.items():
            by_peak.setdefault(peak, []).append(dtype)
        for peak, dtypes in sorted(by_peak.items()):
            x_start = peak / roof["bandwidth"] if roof["bandwidth"] > 0 else x_lo
            ax.plot([x_start, x_hi], [peak, peak], ":", color="dimgray", linewidth=1.0,
                    gid=f"roof-compute-{'-'.join(sorted(dtypes))}")
            ax.annotate(f"{'/'.join(sorted(dtypes))} {short_number(peak)}FLOP/s", (x_hi, peak), xytext=(-4, 2),
                        textcoords="offset points", ha="right", va="bottom", fontsize=7, color="dimgray")
        for phase in sorted({p["phase"] for p in points}):
            for group in groups:
                sel = [p for p in points if p["phase"] == phase and p["group"] == group]
                if not sel:
                    continue
                ax.plot([p["intensity"] for p in sel], [p["flops_per_s"] for p in sel], linestyle="none",
                        marker=PHASE_MARKERS.get(phase, "D"), markersize=7, color=colors[group],
                        markeredgecolor="black", markeredgewidth=0.5, label=f"{group} ({phase})",
                        gid=f"points-{device}-{phase}-{group}")
        ax.set_title(f"{device}: {roof['name']}" if roof["name"] else device, fontsize=10)
        ax.set_xlabel("arithmetic intensity (FLOP / byte)")
        ax.set_ylabel("achieved FLOP/s")
        ax.grid(True, which="major", linewidth=0.3)
        ax.legend(fontsize=6, loc="lower right", ncol=2 if len(points) > 8 else 1)
        plotted["devices"][device] = {
            "memory": roof["memory"], "bandwidth_bytes_per_s": roof["bandwidth"],
            "achievable_bytes_per_s": roof["achievable"], "peak_flops": peaks,
            "points": points, "omitted": omitted}
    p = data["prediction"]
    title = args.title or (f"{p.get('model')} on {p.get('hardware_name')} ({p.get('dtype')}, batch {p.get('batch')}, "
                           f"prompt {p.get('prompt')}, gen {p.get('gen')})" if p else
                           f"roofline: {data['hardware_name'] or data['hardware']}")
    fig.suptitle(textwrap.fill(title, 70), fontsize=11)  # long model/hardware names must not be cut off
    fig.tight_layout()
    return fig, plotted
