"""The technician's printed route sheet (pure: plain data in, PDF bytes out). A4 portrait: a summary page with the
van-loading list (a Code128 barcode per device, scanned at the depot), then one block per stop in driving order,
kept on one page where it fits: ETA and window, the citizen, access notes, the task, devices to deliver and to
collect with their barcodes, the training checklist, check boxes and signature boxes. "Page x of y" on every page.

Every caption arrives translated in `SheetLabels`; the renderer translates nothing. Text is set in Bitstream Vera
(shipped inside reportlab, so always there), which has the Danish letters and the Latin ones of names like Łukasz
or Şahin; characters it lacks are mapped or printed as "?" rather than as an empty box."""

from __future__ import annotations

import functools
import io
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, fields
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from servicecenter.barcodes import draw_code128
from servicecenter.errors import N_

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm  # printers leave 4-5 mm unprinted; 15 mm keeps every bar and word well clear of the edge
TOP = 13 * mm
BOTTOM = 20 * mm  # room for the footer line
FOOTER_Y = 13.5 * mm  # footer baseline: its descenders stay above 12 mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
BAR_HEIGHT = 11 * mm  # at least 10 mm: a phone held at an angle still crosses every bar
BARCODE_WIDTH = 50 * mm  # an 8-character tag with its quiet zones at the 0.375 mm module is 49.5 mm
CHECK_SIZE = 5 * mm
LIGHT = colors.Color(0.88, 0.88, 0.88)
GRID = colors.Color(0.6, 0.6, 0.6)
GREY = colors.Color(0.3, 0.3, 0.3)

FONT, BOLD, MONO = "RouteSheetVera", "RouteSheetVera-Bold", "Courier-Bold"
_SYMBOLS = str.maketrans({"✓": "+", "✗": "÷", "→": "->", "☐": "[ ]", "☑": "[x]", "\t": " ", "\r": "", "\u00ad": ""})


@dataclass(frozen=True)
class DeviceLine:
    tag: str
    model: str


@dataclass(frozen=True)
class SheetStop:
    number: int
    eta: str  # "09:40"
    window: str  # "09:00–11:00"
    citizen_name: str
    address: str
    phone: str | None
    access_notes: str | None  # key box, door code: printed only on this sheet
    task: str
    deliver: list[DeviceLine]
    collect: list[DeviceLine]
    checklist: list[str]
    note: str | None = None
    needs: tuple[str, ...] | list[str] = ()  # urgent, interpreter, hearing impaired, relative present
    sensitive: str = ""  # a deceased citizen: be considerate, contact the relative (who)


@dataclass(frozen=True)
class SheetLabels:
    """Every printed caption. The defaults are the msgids; the app passes them through gettext (`translated`)."""

    technician: str = N_("Technician")
    day: str = N_("Day")
    depot: str = N_("Depot")
    van: str = N_("Van")
    stops: str = N_("Stops")
    loading: str = N_("Van loading list")
    scan_at_depot: str = N_("Scan at the depot")
    stop: str = N_("Stop")
    eta: str = N_("ETA")
    window: str = N_("Window")
    phone: str = N_("Phone")
    access: str = N_("Access")
    task: str = N_("Task")
    needs: str = N_("Needs")
    note: str = N_("Note")
    deliver: str = N_("Deliver")
    collect: str = N_("Collect")
    checklist: str = N_("Training checklist")
    done: str = N_("Done")
    not_home: str = N_("Not home")
    signature: str = N_("Technician's signature")
    citizen_signature: str = N_("Citizen's signature")

    @classmethod
    def translated(cls, gettext: Callable[[str], str]) -> SheetLabels:
        return cls(**{f.name: gettext(f.default) for f in fields(cls)})


@dataclass(frozen=True)
class RouteSheet:
    title: str  # "Route sheet"
    technician: str
    day_label: str  # "Thursday 26 November 2026"
    depot: str
    van: str
    printed_label: str  # "Printed 26-11-2026 07:12 by …"
    labels: SheetLabels
    loading: list[DeviceLine]
    stops: list[SheetStop]
    footer_page: str  # gettext("Page %(page)s of %(pages)s"): translated, placeholders left in


def render_route_sheet(sheet: RouteSheet) -> bytes:
    styles = _styles()
    story = _summary(sheet, styles)
    if sheet.stops:
        story.append(PageBreak())
    for stop in sheet.stops:
        story += [KeepTogether(_stop(stop, sheet.labels, styles)), Spacer(1, 6 * mm)]
    footer_left = " · ".join(part for part in (sheet.title, sheet.technician, sheet.day_label) if part)
    canvasmaker = functools.partial(_NumberedCanvas, footer_left=_printable(footer_left),
                                    footer_page=sheet.footer_page)
    buffer = io.BytesIO()
    frame = Frame(MARGIN, BOTTOM, CONTENT_WIDTH, PAGE_HEIGHT - TOP - BOTTOM, leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    document = BaseDocTemplate(buffer, pagesize=A4, pageTemplates=[PageTemplate("sheet", [frame])],
                               title=_printable(footer_left), author=_printable(sheet.technician))
    document.build(story, canvasmaker=canvasmaker)
    return buffer.getvalue()


# --- the two kinds of page --------------------------------------------------------------------------------------


def _summary(sheet: RouteSheet, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    labels = sheet.labels
    facts = [(labels.technician, sheet.technician), (labels.day, sheet.day_label), (labels.depot, sheet.depot),
             (labels.van, sheet.van), (labels.stops, str(len(sheet.stops)))]
    table = Table([[_printable(label), _p(value, s["fact"])] for label, value in facts],
                  colWidths=(35 * mm, CONTENT_WIDTH - 35 * mm))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("FONT", (0, 0), (0, -1), FONT, 9, 14), ("TEXTCOLOR", (0, 0), (0, -1), GREY),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.4, GRID)]))
    story: list[Flowable] = [_p(sheet.title, s["title"]), Spacer(1, 4 * mm), table, Spacer(1, 2 * mm),
                             _p(sheet.printed_label, s["small"]), Spacer(1, 8 * mm)]
    heading = [_p(labels.loading, s["heading"]), _p(labels.scan_at_depot, s["small"])]
    if not sheet.loading:
        return story + heading + [_p("—", s["body"])]
    return story + [_devices(sheet.loading, s, heading=heading)]


def _stop(stop: SheetStop, labels: SheetLabels, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    parts: list[Flowable] = [_stop_header(stop, labels, s), Spacer(1, 1.5 * mm), _details(stop, labels, s)]
    for caption, devices in ((labels.deliver, stop.deliver), (labels.collect, stop.collect)):
        if devices:
            parts += [Spacer(1, 2 * mm), _p(caption, s["heading"]), _devices(devices, s)]
    if stop.checklist:
        parts += [Spacer(1, 2 * mm), _p(labels.checklist, s["heading"]), _checklist(stop.checklist, s)]
    parts += [Spacer(1, 3 * mm), _sign_off(labels, s)]
    return parts


# --- blocks -----------------------------------------------------------------------------------------------------


def _stop_header(stop: SheetStop, labels: SheetLabels, s: dict[str, ParagraphStyle]) -> Table:
    """A grey band to find the stop by when leafing through: its number, who, and when."""
    when = (f"{_x(labels.eta)} <b>{_x(stop.eta)}</b><br/>"
            f"{_x(labels.window)} <b>{_x(stop.window)}</b>")
    cells = [_p(f"{labels.stop} {stop.number}", s["stop"]), _p(stop.citizen_name, s["name"]),
             Paragraph(when, s["when"])]
    table = Table([cells], colWidths=(30 * mm, CONTENT_WIDTH - 82 * mm, 52 * mm))
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), LIGHT), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("LINEABOVE", (0, 0), (-1, 0), 1.5, colors.black),
                               ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return table


def _details(stop: SheetStop, labels: SheetLabels, s: dict[str, ParagraphStyle]) -> Table:
    rows: list[list] = [["", _p(stop.address, s["address"])]]
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
             ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
             ("FONT", (0, 0), (0, -1), FONT, 8.5, 12), ("TEXTCOLOR", (0, 0), (0, -1), GREY)]
    for label, value, look in (("", stop.sensitive, "access"), (labels.phone, stop.phone, "body"),
                               (labels.access, stop.access_notes, "access"), (labels.task, stop.task, "body"),
                               (labels.needs, " · ".join(stop.needs), "access"), (labels.note, stop.note, "body")):
        if not value:
            continue
        if look == "access":  # boxed and bold: what must not be missed at the door
            cell = (1, len(rows))
            style += [("BOX", cell, cell, 1.2, colors.black), ("LEFTPADDING", cell, cell, 4),
                      ("TOPPADDING", cell, cell, 3), ("BOTTOMPADDING", cell, cell, 4)]
        rows.append([_printable(label), _p(value, s[look])])
    table = Table(rows, colWidths=(24 * mm, CONTENT_WIDTH - 24 * mm), splitInRow=1)
    table.setStyle(TableStyle(style))
    return table


def _devices(devices: list[DeviceLine], s: dict[str, ParagraphStyle],
             heading: list[Flowable] | None = None) -> Table:
    """Two devices a row, each a check box, the bars with the tag under them, and the model. A heading, if given,
    is repeated on every page the list runs on to."""
    cells = [[_CheckBox(), _Barcode(device.tag), _p(device.model, s["model"])] for device in devices]
    cells += [["", "", ""]] * (len(cells) % 2)
    rows = [cells[i] + cells[i + 1] for i in range(0, len(cells), 2)]
    style = [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
             ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (2, 0), (2, -1), 3 * mm),  # model text clear
             ("RIGHTPADDING", (5, 0), (5, -1), 3 * mm), ("TOPPADDING", (0, 0), (-1, -1), 1.5 * mm),  # of the box
             ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5 * mm), ("LINEBELOW", (0, 0), (-1, -1), 0.3, GRID)]
    if heading:
        rows.insert(0, [heading, "", "", "", "", ""])
        style.append(("SPAN", (0, 0), (-1, 0)))
    model = CONTENT_WIDTH / 2 - 8 * mm - BARCODE_WIDTH
    table = Table(rows, colWidths=(8 * mm, BARCODE_WIDTH, model) * 2, repeatRows=1 if heading else 0)
    table.setStyle(TableStyle(style))
    return table


def _checklist(items: list[str], s: dict[str, ParagraphStyle]) -> Table:
    half = CONTENT_WIDTH / 2
    cells = [[_CheckBox(), _p(item, s["body"])] for item in items] + ([["", ""]] if len(items) % 2 else [])
    rows = [cells[i] + cells[i + 1] for i in range(0, len(cells), 2)]
    table = Table(rows, colWidths=(8 * mm, half - 8 * mm) * 2)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return table


def _sign_off(labels: SheetLabels, s: dict[str, ParagraphStyle]) -> Table:
    """Done / not home, and a box for each signature, large enough to sign standing at a door."""
    rows = [[_CheckBox(), _p(labels.done, s["outcome"]), _p(labels.citizen_signature, s["small"]), "",
             _p(labels.signature, s["small"])],
            [_CheckBox(), _p(labels.not_home, s["outcome"]), "", "", ""]]
    table = Table(rows, colWidths=(8 * mm, 36 * mm, 82 * mm, 5 * mm, CONTENT_WIDTH - 131 * mm),
                  rowHeights=(10 * mm, 10 * mm))
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (1, -1), "MIDDLE"), ("VALIGN", (2, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (0, -1), 0), ("SPAN", (2, 0), (2, 1)), ("SPAN", (4, 0), (4, 1)),
        ("BOX", (2, 0), (2, 1), 0.8, colors.black), ("BOX", (4, 0), (4, 1), 0.8, colors.black),
    ]))
    return table


# --- flowables, text and the canvas --------------------------------------------------------------------------------


class _Barcode(Flowable):
    """The tag's bars (with their quiet zones) and the tag in text under them."""

    TEXT = 4.5 * mm

    def __init__(self, tag: str):
        super().__init__()
        self.tag = tag

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return BARCODE_WIDTH, BAR_HEIGHT + self.TEXT

    def draw(self) -> None:
        draw_code128(self.canv, self.tag, 0, self.TEXT, BARCODE_WIDTH, BAR_HEIGHT)
        self.canv.setFont(MONO, 10)
        self.canv.drawCentredString(BARCODE_WIDTH / 2, 0.6 * mm, self.tag)


class _CheckBox(Flowable):
    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return CHECK_SIZE, CHECK_SIZE

    def draw(self) -> None:
        self.canv.setLineWidth(0.9)
        self.canv.rect(0, 0, CHECK_SIZE, CHECK_SIZE, stroke=1, fill=0)


class _NumberedCanvas(Canvas):
    """Keeps each finished page until the end, then stamps "page x of y" and the sheet's name on all of them."""

    def __init__(self, *args, footer_left: str, footer_page: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._footer_left, self._footer_page, self._pages = footer_left, footer_page, []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            page = _printable(self._footer_page % {"page": number, "pages": len(self._pages)})
            room = CONTENT_WIDTH - stringWidth(page, FONT, 8.5) - 8 * mm
            self.setFont(FONT, 8.5)
            self.setFillGray(0.25)
            self.drawString(MARGIN, FOOTER_Y, _fit(self._footer_left, room))
            self.drawRightString(PAGE_WIDTH - MARGIN, FOOTER_Y, page)
            super().showPage()
        super().save()


def _fit(text: str, width: float) -> str:
    while text and stringWidth(text, FONT, 8.5) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


@functools.cache
def _fonts() -> frozenset[int]:
    """Register Vera once; the code points it can print."""
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    regular = TTFont(FONT, os.path.join(folder, "Vera.ttf"))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(TTFont(BOLD, os.path.join(folder, "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    return frozenset(regular.face.charToGlyph)


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    _fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=GREY),
        "model": ParagraphStyle("model", parent=body, fontSize=8.5, leading=10.5, leftIndent=2 * mm),
        "fact": ParagraphStyle("fact", parent=body, fontName=BOLD, fontSize=11, leading=14),
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=18, leading=22),
        "heading": ParagraphStyle("heading", parent=body, fontName=BOLD, fontSize=10.5, leading=14, keepWithNext=1),
        "stop": ParagraphStyle("stop", parent=body, fontName=BOLD, fontSize=15, leading=18),
        "when": ParagraphStyle("when", parent=body, fontSize=10.5, leading=13.5, alignment=TA_RIGHT),
        "name": ParagraphStyle("name", parent=body, fontName=BOLD, fontSize=12.5, leading=15),
        "address": ParagraphStyle("address", parent=body, fontSize=10.5, leading=13),
        "access": ParagraphStyle("access", parent=body, fontName=BOLD, fontSize=10, leading=13),
        "outcome": ParagraphStyle("outcome", parent=body, fontSize=10.5, leading=13),
    }


def _printable(text: str) -> str:
    """The text with every character Vera lacks mapped, stripped to its base letter, or replaced by "?"."""
    covered = _fonts()
    text = text.translate(_SYMBOLS)
    if all(ord(ch) in covered or ch == "\n" for ch in text):
        return text
    return "".join(ch if ord(ch) in covered or ch == "\n" else _fallback(ch, covered) for ch in text)


def _fallback(ch: str, covered: frozenset[int]) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) in covered and not unicodedata.combining(c))
    return base or "?"


def _x(text: str) -> str:
    """Printable text escaped for a Paragraph (a "<script>" in a note is printed, not parsed); line breaks kept."""
    return escape(_printable(text)).replace("\n", "<br/>")


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_x(text), style)

