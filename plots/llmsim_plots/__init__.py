"""Plot kinds of llmsim, one module each; llmsim_plot.py dispatches to them.

Each module has HELP, INPUT_HELP, add_arguments(parser), load(args) -> data and
draw(plt, data, args) -> (figure, plotted values for --data-out).
"""
from . import compare, latency, layouts, pareto, roofline, sweep, timeline, validation

KINDS = {
    "roofline": roofline,
    "timeline": timeline,
    "sweep": sweep,
    "validation": validation,
    "latency": latency,
    "pareto": pareto,
    "compare": compare,
    "layouts": layouts,
}
