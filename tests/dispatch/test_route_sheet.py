"""The route sheet proven by reading it back: every page is rendered at 300 dpi (pypdfium2) and its barcodes decoded
(zxing-cpp) against the tags printed on that page; the text layer says who, where, how to get in, and in what order;
nothing is printed in the 12 mm along the paper's edges. No database: the renderer takes plain data."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from bench.route_sheet import DANISH, sample_sheet
from dispatch.route_sheet import DeviceLine, RouteSheet, SheetLabels, SheetStop, render_route_sheet
from inventory.tags import make_tag

DPI = 300
EDGE = 12 / 25.4 * 72  # 12 mm in points
TAG = re.compile(r"\b[DKBV][0-9]{6}[0-9A-Z]\b")


@dataclass
class Page:
    text: str  # whitespace collapsed, so a wrapped line reads as one
    codes: list[str]  # what zxing-cpp decoded, any format
    image: Image.Image
    char_boxes: list[tuple[float, float, float, float]]


def read(pdf: bytes) -> list[Page]:
    pages = []
    for page in pdfium.PdfDocument(pdf):
        image = page.render(scale=DPI / 72).to_pil()
        text_page = page.get_textpage()
        count = text_page.count_chars()
        pages.append(Page(text=" ".join(text_page.get_text_range().split()),
                          codes=[result.text for result in zxingcpp.read_barcodes(image)], image=image,
                          char_boxes=[text_page.get_charbox(i) for i in range(count)]))
    return pages


def tags_of(sheet: RouteSheet) -> list[str]:
    return [d.tag for d in sheet.loading] + [d.tag for s in sheet.stops for d in s.deliver + s.collect]


def printed_tags(page: Page, known: set[str]) -> list[str]:
    return sorted(tag for tag in TAG.findall(page.text) if tag in known)


def stop(number: int, **changes) -> SheetStop:
    base = SheetStop(number=number, eta="10:15", window="10:00–12:00", citizen_name=f"Borger Nummer {number}",
                     address="Vestergade 1, 8000 Aarhus C", phone="+45 86 12 34 56", access_notes=None,
                     task="Afhentning", deliver=[], collect=[], checklist=[])
    return replace(base, **changes)


@pytest.fixture(scope="module")
def day() -> tuple[RouteSheet, list[Page]]:
    sheet = sample_sheet(20)
    return sheet, read(render_route_sheet(sheet))


def test_every_page_decodes_to_exactly_the_tags_printed_on_it(day):
    sheet, pages = day
    known = set(tags_of(sheet))
    for number, page in enumerate(pages, start=1):
        assert sorted(page.codes) == printed_tags(page, known), f"page {number}"
    # Together: every device of the loading list and of every stop, each as often as it is listed, nothing else.
    assert sorted(code for page in pages for code in page.codes) == sorted(tags_of(sheet))


def test_the_summary_comes_first_with_the_loading_list(day):
    sheet, pages = day
    first_stop = next(i for i, page in enumerate(pages) if f"Stop 1 {sheet.stops[0].citizen_name}" in page.text)
    summary = pages[:first_stop]
    assert summary  # the stops start on a page of their own
    assert sorted(code for page in summary for code in page.codes) == sorted(d.tag for d in sheet.loading)
    first = pages[0].text
    for fact in ("Køreliste", sheet.technician, sheet.day_label, sheet.depot, sheet.van, "Stop i alt 20",
                 "Læsseliste til bilen"):
        assert fact in first
    assert sheet.stops[0].citizen_name not in " ".join(page.text for page in summary)


def test_the_text_says_who_where_how_to_get_in_and_the_page(day):
    sheet, pages = day
    text = " ".join(page.text for page in pages)
    for s in sheet.stops:
        assert s.citizen_name in text and s.address in text and s.phone in text and s.task in text
        if s.access_notes:
            assert s.access_notes in text
    assert "<script>alert('nøgle')</script> står på sedlen i vinduet" in text  # printed as text, not markup
    assert any(len(s.address) > 100 for s in sheet.stops)  # long enough that it had to wrap
    for number, page in enumerate(pages, start=1):
        assert page.text.endswith(f"Side {number} af {len(pages)}")


def test_stops_are_printed_in_order_each_kept_on_one_page(day):
    sheet, pages = day
    text = " ".join(page.text for page in pages)
    positions = [text.index(s.citizen_name) for s in sheet.stops]
    assert positions == sorted(positions)
    for s in sheet.stops:
        [page] = [page for page in pages if s.citizen_name in page.text]  # named on one page only
        assert f"Stop {s.number} {s.citizen_name}" in page.text
        assert set(d.tag for d in s.deliver + s.collect) <= set(page.codes)
        assert all(item in page.text for item in s.checklist)
    assert len(pages) < 20  # kept together, not one page per stop


def test_nothing_is_printed_within_12_mm_of_the_edges(day):
    _sheet, pages = day
    edge = round(12 / 25.4 * DPI)
    for page in pages:
        grey = page.image.convert("L")
        width, height = grey.size
        for strip in ((0, 0, width, edge), (0, height - edge, width, height), (0, 0, edge, height),
                      (width - edge, 0, width, height)):
            assert grey.crop(strip).getextrema() == (255, 255), strip
        page_width, page_height = 595.27, 841.89
        for left, bottom, right, top in page.char_boxes:
            if (left, bottom, right, top) != (0, 0, 0, 0):
                assert left >= EDGE and right <= page_width - EDGE and bottom >= EDGE and top <= page_height - EDGE


def test_letters_the_font_lacks_are_mapped_not_dropped():
    sheet = sample_sheet(1)
    odd = stop(1, citizen_name="Łukasz Wiśniewski", access_notes="Nøgleboks ✓ kode 2580 → bagdør")
    _summary, page = read(render_route_sheet(replace(sheet, stops=[odd], loading=[])))
    assert "Łukasz Wisniewski" in page.text  # Vera has Ł; ś loses its accent rather than print as a box
    assert "Nøgleboks + kode 2580 -> bagdør" in page.text


def test_an_empty_day_is_a_summary_page_only():
    sheet = replace(sample_sheet(1), stops=[], loading=[])
    [page] = read(render_route_sheet(sheet))
    assert page.codes == []
    assert "Stop i alt 0" in page.text and page.text.endswith("Side 1 af 1")


def test_a_stop_taller_than_a_page_runs_on_to_the_next():
    collect = [DeviceLine(make_tag("D", n), "Samsung Galaxy Tab A9 (tablet)") for n in range(500, 540)]
    checklist = [f"Punkt {n}: borgeren viser selv, at det virker, og forklarer det med egne ord" for n in range(30)]
    big = stop(2, collect=collect, checklist=checklist, note="Alt udstyr fra plejehjemmets fælleslager hentes")
    sheet = replace(sample_sheet(1), stops=[stop(1), big, stop(3)], loading=[])
    pages = read(render_route_sheet(sheet))
    assert len(pages) >= 4
    assert sorted(code for page in pages for code in page.codes) == sorted(d.tag for d in collect)
    known = {d.tag for d in collect}
    for page in pages:
        assert sorted(page.codes) == printed_tags(page, known)
    text = " ".join(page.text for page in pages)
    assert text.index("Borger Nummer 1") < text.index("Borger Nummer 2") < text.index("Punkt 29") < text.index(
        "Borger Nummer 3")


def test_the_captions_are_the_apps_to_translate():
    upper = SheetLabels.translated(str.upper)
    assert upper.loading == "VAN LOADING LIST" and upper.citizen_signature == "CITIZEN'S SIGNATURE"
    assert set(vars(DANISH)) == set(vars(SheetLabels()))
