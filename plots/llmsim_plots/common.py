"""What every plot kind shares: input errors, reading llmsim's files, deterministic saving.

Same input, same bytes: matplotlib stamps SVGs with random ids and both formats with the
date unless told otherwise, so `save` fixes the hash salt and drops the date.
"""
import csv
import gzip
import json
import os


class PlotInputError(Exception):
    """A missing or malformed input file; the message names the file and what was expected."""


def import_pyplot():
    """matplotlib.pyplot on the Agg backend, or PlotInputError saying how to install it."""
    try:
        import matplotlib
    except ImportError as e:
        raise PlotInputError(
            f"matplotlib is not installed for this Python ({e}); install python3-matplotlib "
            "(scripts/install-deps.sh) or point LLMSIM_PYTHON at a python3 that has it") from e
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "llmsim"  # stable element ids in SVGs
    matplotlib.rcParams["svg.fonttype"] = "path"
    import matplotlib.pyplot as plt
    return plt


def regular_file(path):
    """Refuses what is not a regular file before opening it: a FIFO would block, a device never end."""
    if os.path.exists(path) and not os.path.isfile(path):
        raise PlotInputError(f"{path}: not a regular file (a directory, FIFO or device)")


def read_json(path):
    """A JSON file (gzip-compressed when it ends in .gz)."""
    regular_file(path)
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig") as f:
            return json.load(f)
    except FileNotFoundError as e:
        raise PlotInputError(f"{path}: no such file") from e
    except (OSError, UnicodeDecodeError) as e:
        raise PlotInputError(f"{path}: cannot read ({e})") from e
    except json.JSONDecodeError as e:
        raise PlotInputError(f"{path}: line {e.lineno}: not valid JSON ({e.msg})") from e
    except RecursionError as e:  # Python's parser recurses per level: ~1,000 levels end it
        raise PlotInputError(f"{path}: JSON nested too deeply to be one of llmsim's results") from e


def read_csv(path, required=()):
    """Rows of a CSV file as dicts; PlotInputError if a required column is absent or it has no rows."""
    regular_file(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: a spreadsheet's byte-order mark
            reader = csv.DictReader(f)
            rows = list(reader)
            columns = reader.fieldnames or []
    except FileNotFoundError as e:
        raise PlotInputError(f"{path}: no such file") from e
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise PlotInputError(f"{path}: cannot read as CSV ({e})") from e
    missing = [c for c in required if c not in columns]
    if missing:
        raise PlotInputError(f"{path}: expected column(s) {', '.join(missing)} in the header; "
                             f"it has {', '.join(columns) or 'none'}")
    if not rows:
        raise PlotInputError(f"{path}: no data rows")
    return columns, rows


def number(path, row_index, column, text):
    """`text` of `column` in data row `row_index` (1-based) as a float, or PlotInputError."""
    try:
        value = float(text)
    except (TypeError, ValueError) as e:
        raise PlotInputError(f"{path}: row {row_index}, column {column}: expected a number, "
                             f"got {text!r}") from e
    if value != value:
        raise PlotInputError(f"{path}: row {row_index}, column {column}: NaN")
    return value


def find_in_dir(path, names, what):
    """`path` itself if it is a file, else the first of `names` inside the directory `path`."""
    if os.path.isdir(path):
        for name in names:
            candidate = os.path.join(path, name)
            if os.path.isfile(candidate):
                return candidate
        raise PlotInputError(f"{path}: a directory without {' or '.join(names)} ({what})")
    if not os.path.exists(path):
        raise PlotInputError(f"{path}: no such file or directory")
    return path


def save(fig, out_path):
    """PNG or SVG by the extension of `out_path`, the same bytes for the same figure."""
    ext = os.path.splitext(out_path)[1].lower()
    if ext == ".png":
        metadata = {"Software": "llmsim plot"}
        fig.savefig(out_path, format="png", dpi=100, metadata=metadata)
    elif ext == ".svg":
        metadata = {"Date": None, "Creator": "llmsim plot"}
        fig.savefig(out_path, format="svg", metadata=metadata)
    else:
        raise PlotInputError(f"{out_path}: the output must end in .png or .svg")


def write_data(path, data):
    """The sidecar JSON of what was plotted (sorted keys, so it is byte-stable too)."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")


def short_number(value):
    """1.5e9 -> '1.5G': axis annotations without long digit strings."""
    for factor, suffix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.3g}"
