"""Charts as SVG, drawn by pygal: plain data in, bytes out. The dashboard serves them as images (the app's strict
CSP forbids the inline styles every chart library writes into HTML), and the monthly report draws the same SVG
into its PDF through svglib."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import pygal
from pygal.style import Style

from servicecenter.svg import without_scripts

WIDTH, HEIGHT = 720, 300
STYLE = Style(
    background="white", plot_background="white", foreground="#333333", foreground_strong="#111111",
    foreground_subtle="#dddddd", colors=("#1f5f8b", "#b03a2e", "#5b8c3a", "#8e6c1f"), guide_stroke_color="#dddddd",
    major_guide_stroke_color="#bbbbbb", font_family="DejaVu Sans, Helvetica, Arial, sans-serif",
    title_font_size=16, label_font_size=12, major_label_font_size=12, legend_font_size=13, value_font_size=11,
)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: no data that month (a gap, never a zero)


@dataclass(frozen=True)
class Chart:
    title: str  # not drawn: the page and the PDF put it in a heading above the image
    labels: Sequence[str]  # the x axis: months
    series: Sequence[Series]
    kind: str = "line"  # "line" or "bar"
    percent: bool = False  # values are shares (0..1), shown as percentages
    target: float | None = None  # drawn as a dashed line, e.g. the 95 % inclusion target
    target_name: str = ""


def render_svg(chart: Chart) -> bytes:
    config = dict(style=STYLE, js=[], width=WIDTH, height=HEIGHT, explicit_size=True, show_legend=True,
                  legend_at_bottom=True, legend_at_bottom_columns=3, allow_interruptions=True, show_dots=True,
                  dots_size=3, x_label_rotation=0, truncate_label=-1, print_values=False, margin=12,
                  show_minor_x_labels=True, no_data_text="–")
    legends = len(chart.series) + (chart.target is not None)
    config["margin_bottom"] = 30 + 20 * ((legends - 1) // 3)  # pygal leaves no room for its bottom legend rows
    if chart.percent:
        config.update(value_formatter=lambda v: f"{v * 100:.0f} %" if v is not None else "–", range=_percent_range(
            chart), include_x_axis=False)
    else:
        config.update(include_x_axis=True, value_formatter=lambda v: _plain(v))
    canvas = (pygal.Bar if chart.kind == "bar" else pygal.Line)(**config)
    if not chart.percent:
        canvas.y_labels = _whole_numbers(chart)  # counts: no "0.2 of a citizen" ticks
    canvas.x_labels = list(chart.labels)
    if len(chart.labels) > 7:  # every other month labelled: twelve labels do not fit 720 px without overlap
        canvas.x_labels_major = list(chart.labels)[::2]
        canvas.show_minor_x_labels = False
    for series in chart.series:
        canvas.add(series.name, list(series.values))
    if chart.target is not None:
        canvas.add(chart.target_name, [chart.target] * len(chart.labels), stroke_style={"dasharray": "6,4"},
                   show_dots=False)
    return without_scripts(canvas.render())


def _whole_numbers(chart: Chart) -> list[int]:
    top = max([v for s in chart.series for v in s.values if v is not None] + [chart.target or 0, 1])
    step = max(1, -(-int(top) // 6))
    return list(range(0, int(top) + step + 1, step))


def _plain(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _percent_range(chart: Chart) -> tuple[float, float]:
    values = [v for s in chart.series for v in s.values if v is not None]
    if chart.target is not None:
        values.append(chart.target)
    low = min(values, default=0.0)
    return (max(0.0, (int(low * 10) / 10) - 0.05), 1.0)


def drawing(svg: bytes, width: float):
    """The SVG as a reportlab Drawing scaled to `width` points (for the report's PDF)."""
    from svglib.svglib import svg2rlg

    art = svg2rlg(io.BytesIO(svg))
    scale = width / art.width
    art.width, art.height = art.width * scale, art.height * scale
    art.scale(scale, scale)
    return art
