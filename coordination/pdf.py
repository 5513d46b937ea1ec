"""The monthly report as an A4 PDF: plain data in (every text already translated, the charts as SVG), bytes out.
Made with reportlab's invariant mode, so the same data gives the same bytes (no creation date, no random ids)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from coordination.charts import drawing

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 16 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LIGHT = colors.Color(0.92, 0.92, 0.92)
GRID = colors.Color(0.7, 0.7, 0.7)
WARN = colors.Color(0.99, 0.9, 0.88)


@dataclass(frozen=True)
class Grid:
    header: list[str]
    rows: list[list[str]]
    first_column_width: float = 48 * mm
    text_columns: int = 1  # the first columns hold words (left-aligned); the rest numbers (right-aligned)
    marked_rows: tuple[int, ...] = ()  # rows shaded as deviations


@dataclass(frozen=True)
class DeviationText:
    what: str
    value: str
    target: str
    cause: str
    action: str


@dataclass(frozen=True)
class Section:
    title: str
    grid: Grid
    chart_svg: bytes | None = None
    note: str = ""


@dataclass(frozen=True)
class ReportDocument:
    title: str
    subtitle: str
    status_line: str
    summary_title: str
    summary: Grid
    deviations_title: str
    deviations: list[DeviationText]
    no_deviations: str
    deviation_labels: tuple[str, str, str, str]  # value, target, cause, proposed action
    sections: list[Section] = field(default_factory=list)
    footer: str = ""
    page_label: str = "%(page)s"
    watermark: str = ""  # "DRAFT" on a draft's preview


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName="Helvetica", fontSize=9.5, leading=12.5)
    return {
        "title": ParagraphStyle("title", parent=base, fontName="Helvetica-Bold", fontSize=18, leading=22,
                                spaceAfter=2 * mm),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=14),
        "h2": ParagraphStyle("h2", parent=base, fontName="Helvetica-Bold", fontSize=12.5, leading=16,
                             spaceBefore=5 * mm, spaceAfter=2 * mm),
        "h3": ParagraphStyle("h3", parent=base, fontName="Helvetica-Bold", fontSize=10.5, leading=13,
                             spaceBefore=2 * mm),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.Color(.25, .25, .25)),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9),
        "cell_right": ParagraphStyle("cell_right", parent=base, fontSize=7.5, leading=9, alignment=2),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _grid(grid: Grid, s: dict[str, ParagraphStyle]) -> Table:
    columns = len(grid.header)
    rest = (CONTENT_WIDTH - grid.first_column_width) / max(1, columns - 1)
    def cell(i: int, text: str) -> Paragraph:
        return _p(text, s["cell"] if i < grid.text_columns else s["cell_right"])

    data = [[cell(i, h) for i, h in enumerate(grid.header)]]
    data += [[cell(i, v) for i, v in enumerate(row)] for row in grid.rows]
    table = Table(data, colWidths=[grid.first_column_width] + [rest] * (columns - 1), repeatRows=1)
    style = [("GRID", (0, 0), (-1, -1), 0.4, GRID), ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
             ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5), ("LEFTPADDING", (0, 0), (-1, -1), 2),
             ("RIGHTPADDING", (0, 0), (-1, -1), 2)]
    style += [("BACKGROUND", (0, row + 1), (-1, row + 1), WARN) for row in grid.marked_rows]
    table.setStyle(TableStyle(style))
    return table


def _deviation(d: DeviationText, labels: tuple[str, str, str, str], s) -> KeepTogether:
    value, target, cause, action = labels
    rows = [[_p(value, s["cell"]), _p(d.value, s["cell"]), _p(target, s["cell"]), _p(d.target, s["cell"])],
            [_p(cause, s["cell"]), _p(d.cause, s["cell"]), "", ""],
            [_p(action, s["cell"]), _p(d.action, s["cell"]), "", ""]]
    table = Table(rows, colWidths=[32 * mm, 58 * mm, 32 * mm, CONTENT_WIDTH - 122 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GRID), ("SPAN", (1, 1), (3, 1)),
                               ("SPAN", (1, 2), (3, 2)), ("BACKGROUND", (0, 0), (0, -1), LIGHT),
                               ("BACKGROUND", (2, 0), (2, 0), LIGHT), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([_p(d.what, s["h3"]), Spacer(0, 1 * mm), table])


def render_report(doc: ReportDocument) -> bytes:
    s = _styles()
    story = [_p(doc.title, s["title"]), _p(doc.subtitle, s["subtitle"]), _p(doc.status_line, s["small"]),
             _p(doc.summary_title, s["h2"]), _grid(doc.summary, s), _p(doc.deviations_title, s["h2"])]
    if doc.deviations:
        for deviation in doc.deviations:
            story += [_deviation(deviation, doc.deviation_labels, s), Spacer(0, 3 * mm)]
    else:
        story.append(_p(doc.no_deviations, s["body"]))
    for section in doc.sections:
        block = [CondPageBreak(95 * mm), _p(section.title, s["h2"])]
        if section.note:
            block.append(_p(section.note, s["small"]))
        if section.chart_svg:
            block += [Spacer(0, 1 * mm), drawing(section.chart_svg, CONTENT_WIDTH), Spacer(0, 5 * mm)]
        story += [*block, Spacer(0, 2 * mm), _grid(section.grid, s)]
    buffer = io.BytesIO()
    template = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=MARGIN + 4 * mm, title=doc.title, author="", subject=doc.subtitle,
                                 creator="Fælles Servicecenter", producer="reportlab", invariant=1)

    def decorate(canvas, document):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillGray(0.3)
        canvas.drawString(MARGIN, MARGIN - 2 * mm, doc.footer)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN - 2 * mm, doc.page_label % {"page": document.page})
        if doc.watermark:
            canvas.setFont("Helvetica-Bold", 70)
            canvas.setFillColor(colors.Color(0.85, 0.2, 0.2, alpha=0.15))
            canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, 0, doc.watermark)
        canvas.restoreState()

    template.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
