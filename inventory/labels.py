"""Label renderers (pure: label data in, PDF bytes out). Layouts are small classes, as in Snipe-IT: an A4 sheet
of 3 x 8 labels of 70 x 37 mm with a start offset for a partly used sheet, and a 62 x 29 mm tape label (one per
page) for thermal printers. Each label: the Code128 bars of the tag (python-barcode encodes, reportlab draws
them as vectors; servicecenter.barcodes), the tag in text, the model and the owner."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from servicecenter.barcodes import draw_code128


@dataclass(frozen=True)
class LabelData:
    tag: str
    title: str  # the model, or "Kit: COPD", or the bin's name
    subtitle: str  # the owner


@dataclass(frozen=True)
class Layout:
    name: str
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int = 1
    rows: int = 1
    left: float = 0.0
    top: float = 0.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def positions(self, count: int, offset: int = 0) -> Iterator[tuple[int, float, float]]:
        """(page, x, y of the label's bottom-left) for each label, skipping `offset` used places on page one."""
        for index in range(offset, offset + count):
            page, place = divmod(index, self.per_page)
            row, column = divmod(place, self.columns)
            x = self.left + column * self.label_width
            y = self.page_height - self.top - (row + 1) * self.label_height
            yield page, x, y


A4_SHEET = Layout("a4", A4[0], A4[1], 70 * mm, 37 * mm, columns=3, rows=8, left=0, top=(297 - 8 * 37) / 2 * mm)
TAPE = Layout("tape", 62 * mm, 29 * mm, 62 * mm, 29 * mm)
LAYOUTS = {layout.name: layout for layout in (A4_SHEET, TAPE)}


def render_labels(labels: list[LabelData], layout: Layout, *, offset: int = 0) -> bytes:
    if not 0 <= offset < layout.per_page:
        raise ValueError(f"offset must be 0..{layout.per_page - 1}")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(layout.page_width, layout.page_height), pageCompression=1)
    canvas.setTitle("Labels")
    current_page = 0
    for label, (page, x, y) in zip(labels, layout.positions(len(labels), offset), strict=True):
        while page > current_page:
            canvas.showPage()
            current_page += 1
        _draw_label(canvas, label, x, y, layout.label_width, layout.label_height)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_label(canvas: Canvas, label: LabelData, x: float, y: float, width: float, height: float) -> None:
    pad = 2.5 * mm
    canvas.setFont("Helvetica-Bold", 7.5)
    canvas.drawString(x + pad, y + height - pad - 6, _fit(label.title, "Helvetica-Bold", 7.5, width - 2 * pad))
    canvas.setFont("Helvetica", 6.5)
    canvas.drawString(x + pad, y + height - pad - 13, _fit(label.subtitle, "Helvetica", 6.5, width - 2 * pad))
    bar_bottom = y + pad + 10
    bar_height = height - 2 * pad - 10 - 16
    draw_code128(canvas, label.tag, x, bar_bottom, width, bar_height)
    canvas.setFont("Courier-Bold", 10)
    canvas.drawCentredString(x + width / 2, y + pad + 1.5, label.tag)


def _fit(text: str, font: str, size: float, width: float) -> str:
    while text and stringWidth(text, font, size) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text
