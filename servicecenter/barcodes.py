"""Code128 barcodes drawn as vector bars on a reportlab canvas, shared by the labels and the route sheets:
python-barcode computes the modules, reportlab draws each run of dark modules as one filled rectangle."""

from __future__ import annotations

from barcode import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

MODULE = 0.375 * mm  # bar module: 3 dots of a 203 dpi thermal printer; decodes cleanly, no misreads
QUIET = 10  # modules of white on each side of the bars


def code128_modules(value: str) -> str:
    """The symbol as a string of "1" (dark) and "0" (light) modules, start and stop included."""
    return Code128(value).build()[0]


def code128_width(value: str, module: float = MODULE) -> float:
    """The width the symbol needs at this module, its quiet zones included."""
    return (len(code128_modules(value)) + 2 * QUIET) * module


def draw_code128(canvas: Canvas, value: str, x: float, y: float, width: float, height: float,
                 module: float = MODULE) -> None:
    """Bars of `height` centred in the box from (x, y) of `width`; the module shrinks only if the box is too narrow
    for the bars and their quiet zones."""
    modules = code128_modules(value)
    module = min(module, width / (len(modules) + 2 * QUIET))
    start = x + (width - len(modules) * module) / 2
    canvas.setFillGray(0)
    run_start = None
    for i, bit in enumerate(modules + "0"):
        if bit == "1" and run_start is None:
            run_start = i
        elif bit == "0" and run_start is not None:
            canvas.rect(start + run_start * module, y, (i - run_start) * module, height, stroke=0, fill=1)
            run_start = None
