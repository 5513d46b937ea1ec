"""The citizen timeline as a PDF for a care conference (pure: plain data in, bytes out). A4 portrait, a header
naming the citizen, one row per event (time, what, who) with notes in smaller type, page numbers in the footer."""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

# Helvetica (built into every PDF reader) has the Danish letters but not these; ÷ is the Danish "not".
_GLYPHS = str.maketrans({"✓": "+", "✗": "÷", "→": "->"})


@dataclass(frozen=True)
class Row:
    when: str
    category: str
    text: str
    note: str | None
    actor: str | None


@dataclass(frozen=True)
class TimelineDocument:
    title: str
    subtitle_lines: list[str]  # name, CPR (masked), address, printed when and by whom
    headings: tuple[str, str, str]  # time, event, by
    rows: list[Row]
    footer: str  # "Page %(page)s", translated, with %(page)s left in
    truncated_note: str | None = None


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text.translate(_GLYPHS)), style)


def render_timeline_pdf(doc: TimelineDocument) -> bytes:
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=9, leading=11)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9, textColor=colors.HexColor("#444444"))
    bold = ParagraphStyle("bold", parent=base, fontName="Helvetica-Bold")
    title = ParagraphStyle("title", parent=base, fontName="Helvetica-Bold", fontSize=15, leading=19)
    story = [_p(doc.title, title), Spacer(1, 2 * mm)] + [_p(line, base) for line in doc.subtitle_lines]
    story.append(Spacer(1, 5 * mm))
    table = [[_p(h, bold) for h in doc.headings]]
    for row in doc.rows:
        what = [_p(f"{row.category}: {row.text}", base)] + ([_p(row.note, small)] if row.note else [])
        table.append([_p(row.when, base), what, _p(row.actor or "", base)])
    grid = LongTable(table, colWidths=(32 * mm, 108 * mm, 40 * mm), repeatRows=1)
    grid.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    story.append(grid)
    if doc.truncated_note:
        story += [Spacer(1, 3 * mm), _p(doc.truncated_note, small)]

    def footer(canvas, template):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, (doc.footer % {"page": template.page}).translate(_GLYPHS))
        canvas.drawString(15 * mm, 10 * mm, doc.title.translate(_GLYPHS)[:90])
        canvas.restoreState()

    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=18 * mm, title=doc.title).build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
