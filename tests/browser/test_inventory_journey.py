"""The warehouse journey in real Chromium: import a delivery with one bad row, fix it, import, print labels,
receive the devices, and load 10 into a van with the keyboard only."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import func, select

from inventory.models import Device, DeviceStatus, Holder, HolderKind, Movement
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

WAREHOUSE = ("lager", "Servicecenter-demo-5")


def delivery(tmp_path, rows: list[str], name: str):
    path = tmp_path / name
    path.write_text("model;serial\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_import_print_receive_and_load_ten_with_the_keyboard(page, live_app, live_server, tmp_path):
    log_in(page, *WAREHOUSE)
    rows = [f"SM-X110;JOURNEY{i:03d}" for i in range(10)]
    page.goto("/inventory/import")
    page.set_input_files("#file", str(delivery(tmp_path, [*rows[:5], "NO-SUCH-MODEL;BAD1", *rows[5:]], "bad.csv")))
    page.get_by_role("button", name="Kontrollér filen").click()
    page.locator(".row-error").first.wait_for()
    assert page.locator(".row-error").count() == 1 and "NO-SUCH-MODEL" in page.locator(".row-error").inner_text()
    assert page.locator("#confirm-import").count() == 0
    screenshot(page, "import-error")
    s = live_app.extensions["database"].factory()
    assert s.scalar(select(func.count()).select_from(Device).where(Device.serial.like("JOURNEY%"))) == 0

    page.goto("/inventory/import")
    page.set_input_files("#file", str(delivery(tmp_path, rows, "good.csv")))
    page.get_by_role("button", name="Kontrollér filen").click()
    page.locator("#confirm-import").click()
    page.locator("#print-labels").wait_for()
    screenshot(page, "import-done")
    s.rollback()
    tags = sorted(s.scalars(select(Device.tag).where(Device.serial.like("JOURNEY%"))))
    assert len(tags) == 10

    batch_id = page.url.rsplit("/", 1)[1]
    pdf = page.request.get(f"{live_server}/inventory/labels.pdf?batch={batch_id}&layout=a4").body()
    found = sorted(r.text for p in pdfium.PdfDocument(pdf) for r in zxingcpp.read_barcodes(
        p.render(scale=300 / 72).to_pil()))
    assert found == tags

    page.goto("/inventory/scan/accept")
    page.locator("summary").click()
    page.locator("#codes").fill("\n".join(tags))
    page.get_by_role("button", name="Scan alle").click()
    page.locator("#scan-log [data-scan-result=ok]").nth(9).wait_for()

    page.goto("/inventory/scan/load")
    page.locator("#code:focus").wait_for()  # autofocus lands after the page's scripts, later on a busy machine
    van = s.scalar(select(Holder).where(Holder.kind == HolderKind.VAN).order_by(Holder.name))
    page.keyboard.type(van.tag)  # the van's label chooses the van
    page.keyboard.press("Enter")
    page.locator("#chosen-place").wait_for()  # and says so in a green row of its own
    page.locator("#code:focus").wait_for()
    for n, tag in enumerate(tags[:5], start=1):
        page.keyboard.type(tag)
        page.keyboard.press("Enter")
        page.locator("#scan-log [data-scan-result=ok]").nth(n).wait_for()
    for tag in tags[5:]:  # a fast scanner: no waiting for the answers in between
        page.keyboard.type(tag)
        page.keyboard.press("Enter")
    page.locator("#scan-log [data-scan-result=ok]").nth(10).wait_for()
    s.rollback()
    before = s.scalar(select(func.count()).select_from(Movement))
    page.keyboard.type(tags[0][:-1] + ("A" if tags[0][-1] != "A" else "B"))
    page.keyboard.press("Enter")
    page.locator("#scan-log [data-scan-result=error]").wait_for()
    assert page.locator("#scan-log [data-scan-result=ok]").count() == 11
    page.locator("#code:focus").wait_for()  # still ready for the next scan
    screenshot(page, "scan-load")
    s.rollback()
    assert s.scalar(select(func.count()).select_from(Movement)) == before
    assert set(s.scalars(select(Device.status).where(Device.tag.in_(tags)))) == {DeviceStatus.IN_VAN}
    s.close()
