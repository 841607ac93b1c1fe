#!/usr/bin/env python3
"""llmsim's plots: `llmsim_plot.py KIND INPUT... -o OUT.png|OUT.svg [--data-out DATA.json]`.

KIND is one of the modules of llmsim_plots (roofline, timeline, sweep, validation, latency,
pareto); `llmsim plot` runs this script. Exit status: 0 drawn, 1 bad input (or matplotlib
missing), 2 bad command line. --data-out writes the exact values that were drawn, as JSON.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from llmsim_plots import KINDS  # noqa: E402
from llmsim_plots.common import PlotInputError, import_pyplot, save, write_data  # noqa: E402


def parser():
    p = argparse.ArgumentParser(prog="llmsim plot", description="draw a chart from llmsim's output files")
    sub = p.add_subparsers(dest="kind", required=True, metavar="KIND")
    for name, module in KINDS.items():
        k = sub.add_parser(name, help=module.HELP, description=module.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        k.add_argument("inputs", nargs="+", metavar="INPUT", help=module.INPUT_HELP)
        k.add_argument("-o", "--output", required=True, help="the image to write: *.png or *.svg")
        k.add_argument("--data-out", help="also write the plotted values as JSON here")
        k.add_argument("--title", help="the figure's title (default: from the input)")
        module.add_arguments(k)
    return p


def main(argv):
    args = parser().parse_args(argv)
    module = KINDS[args.kind]
    try:
        if os.path.splitext(args.output)[1].lower() not in (".png", ".svg"):
            raise PlotInputError(f"{args.output}: the output must end in .png or .svg")
        plt = import_pyplot()
        data = module.load(args)
        fig, plotted = module.draw(plt, data, args)
        try:
            save(fig, args.output)
            if args.data_out:
                write_data(args.data_out, plotted)
        except OSError as e:
            raise PlotInputError(f"cannot write {e.filename or args.output}: {e.strerror or e}") from e
        finally:
            plt.close(fig)
    except PlotInputError as e:
        print(f"llmsim plot {args.kind}: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}" + (f" and {args.data_out}" if args.data_out else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
