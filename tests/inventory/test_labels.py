"""Labels proven by reading them back: each layout's PDF is rendered to an image (pypdfium2) and decoded
(zxing-cpp). Every label decodes to exactly its tag, empty places decode to nothing, and nothing else is found."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import zxingcpp

from inventory.labels import A4_SHEET, LAYOUTS, TAPE, LabelData, render_labels
from inventory.tags import make_tag

DPI = 300


def pages(pdf: bytes):
    document = pdfium.PdfDocument(pdf)
    return [page.render(scale=DPI / 72).to_pil() for page in document]


def decode(image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def crop(image, layout, x, y):
    scale = DPI / 72
    left, top = x * scale, (layout.page_height - y - layout.label_height) * scale
    return image.crop((int(left), int(top), int(left + layout.label_width * scale),
                       int(top + layout.label_height * scale)))


def labels(n: int, prefix: str = "D") -> list[LabelData]:
    return [LabelData(make_tag(prefix, i), "Nonin Onyx 3230 Bluetooth pulsoximeter", "Region Midtjylland")
            for i in range(1, n + 1)]


@pytest.mark.parametrize("layout,count,offset", [(A4_SHEET, 30, 5), (A4_SHEET, 24, 0), (TAPE, 4, 0)])
def test_every_label_decodes_to_exactly_its_tag(layout, count, offset):
    wanted = labels(count)
    images = pages(render_labels(wanted, layout, offset=offset))
    assert len(images) == -(-(count + offset) // layout.per_page)
    places = list(layout.positions(count, offset))
    for label, (page, x, y) in zip(wanted, places, strict=True):
        assert decode(crop(images[page], layout, x, y)) == [label.tag]
    # The places skipped on a partly used sheet stay blank.
    for page, x, y in layout.positions(offset, 0):
        assert decode(crop(images[page], layout, x, y)) == []
    # Whole pages: exactly the tags, each once, nothing else.
    found = sorted(text for image in images for text in decode(image))
    assert found == sorted(label.tag for label in wanted)


def test_kit_and_bin_labels_decode_too():
    wanted = labels(2, "K") + labels(2, "B") + labels(2, "V")
    images = pages(render_labels(wanted, TAPE))
    assert [decode(image) for image in images] == [[label.tag] for label in wanted]


def test_the_layouts_match_their_paper():
    assert round(A4_SHEET.label_width / 2.8346, 1) == 70.0 and round(A4_SHEET.label_height / 2.8346, 1) == 37.0
    assert A4_SHEET.columns * A4_SHEET.label_width <= A4_SHEET.page_width + 0.01
    assert A4_SHEET.top * 2 + A4_SHEET.rows * A4_SHEET.label_height == pytest.approx(A4_SHEET.page_height, abs=0.5)
    assert (round(TAPE.page_width / 2.8346), round(TAPE.page_height / 2.8346)) == (62, 29)
    assert set(LAYOUTS) == {"a4", "tape"}


def test_an_offset_outside_the_sheet_is_refused():
    with pytest.raises(ValueError):
        render_labels(labels(1), A4_SHEET, offset=24)
