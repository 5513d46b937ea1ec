"""The survival chart as SVG, drawn by pygal: plain data in, bytes out. Served as an image (the app's strict CSP
forbids the inline styles chart libraries write into HTML); the numbers are in the table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pygal
from pygal.style import Style

from servicecenter.svg import without_scripts

WIDTH, HEIGHT = 720, 340
STYLE = Style(
    background="white", plot_background="white", foreground="#333333", foreground_strong="#111111",
    foreground_subtle="#dddddd", colors=("#1f5f8b", "#b03a2e", "#5b8c3a", "#8e6c1f", "#6a3d9a", "#00838f"),
    guide_stroke_color="#dddddd", major_guide_stroke_color="#bbbbbb",
    font_family="DejaVu Sans, Helvetica, Arial, sans-serif", label_font_size=12, major_label_font_size=12,
    legend_font_size=13, title_font_size=14,
)
MAX_STEPS = 400  # more steps than pixels say nothing more; a long curve is thinned to this many


@dataclass(frozen=True)
class Line:
    name: str
    times: Sequence[float]  # days, ascending, from 0
    survival: Sequence[float]  # the share still fault-free after each time


def steps(line: Line) -> list[tuple[float, float]]:
    """The curve as a staircase: flat until each time, then down to the new value."""
    times, values = list(line.times), list(line.survival)
    if len(times) > MAX_STEPS:
        keep = sorted({round(i * (len(times) - 1) / (MAX_STEPS - 1)) for i in range(MAX_STEPS)})
        times, values = [times[i] for i in keep], [values[i] for i in keep]
    points = [(times[0], values[0])]
    for i in range(1, len(times)):
        points += [(times[i], values[i - 1]), (times[i], values[i])]
    return points


def render_svg(lines: Sequence[Line], *, x_title: str, y_title: str, no_data: str) -> bytes:
    chart = pygal.XY(style=STYLE, js=[], width=WIDTH, height=HEIGHT, explicit_size=True, show_dots=False,
                     legend_at_bottom=True, legend_at_bottom_columns=2, range=(0, 1), include_x_axis=False,
                     x_title=x_title, y_title=y_title, no_data_text=no_data, margin=12, stroke_style={"width": 2},
                     value_formatter=lambda v: f"{v * 100:.0f} %", x_value_formatter=lambda v: f"{v:.0f}",
                     margin_bottom=30 + 20 * ((max(len(lines), 1) - 1) // 2))
    if lines:  # pygal cannot place fixed labels on an empty chart: it draws its no-data text instead
        chart.y_labels = [i / 10 for i in range(11)]
    for line in lines:
        chart.add(line.name, steps(line))
    return without_scripts(chart.render())
