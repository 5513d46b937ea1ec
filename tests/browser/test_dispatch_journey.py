"""The dispatch journey in real Chromium: a nurse requests a setup → the helpdesk reserves a kit and books it →
the planner optimises the day and publishes → the technician's route sheet PDF lists the stop and its barcodes
decode to the kit's devices → on the phone view the technician scans them at the citizen and completes the visit:
the devices' holder is the citizen's course. A second visit fails at the door and returns to the queue with its
reason."""

from __future__ import annotations

import datetime as dt
import re

import pypdfium2 as pdfium
import pytest
import zxingcpp
from playwright.sync_api import expect
from sqlalchemy import select

from dispatch.models import Visit, VisitStatus
from dispatch.service import allocation, visits
from inventory import service as inventory
from inventory.models import Device, DeviceStatus, Holder
from servicecenter.auth.models import User
from servicecenter.citizens import service as citizens
from servicecenter.citizens.models import Citizen
from servicecenter.courses.models import Programme
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.organisations.models import Organisation
from tests.browser.conftest import ARTIFACTS, alone_on_duty, log_in, log_out, screenshot

pytestmark = pytest.mark.browser

NURSE = ("sygeplejerske", "Servicecenter-demo-6")
HELPDESK = ("helpdesk", "Servicecenter-demo-3")
TECHNICIAN = ("tekniker", "Servicecenter-demo-4")


def _prepare(app) -> tuple[Citizen, Citizen]:
    """Today is a working day for the demo technician whatever day the test runs; two Aarhus citizens with
    coordinates and no course: one for the nurse's request, one whose booked visit will fail at the door."""
    s = app.extensions["database"].factory()
    today = local_date(utcnow())
    with unit_of_work(s):
        user, tech = alone_on_duty(s, TECHNICIAN[0])  # every stop is hers, any day of the week
        aarhus = s.scalar(select(Organisation).where(Organisation.code == "751"))
        helpdesk = s.scalar(select(User).where(User.username == HELPDESK[0]))
        free = [citizens.create_citizen(s, citizens.CitizenData(
            cpr=cpr, first_name=first, last_name="Journeysen", address=f"Skovvejen {n}", postal_code="8000",
            city="Aarhus C", municipality_id=aarhus.id, latitude=56.15 + n / 100, longitude=10.20 + n / 100,
            responsible_organisation_id=aarhus.id, phone=f"4{n}123456"), actor=helpdesk, now=utcnow())
            for n, (cpr, first) in enumerate([("030344-1234", "Birthe"), ("040455-2345", "Bent")], start=1)]
        copd = s.scalar(select(Programme).where(Programme.code == "COPD"))
        second = visits.request_setup(s, citizen_id=free[1].id, programme_id=copd.id, actor=helpdesk, now=utcnow(),
                                      request=visits.VisitRequest(earliest_on=today, latest_on=today), today=today)
        allocation.allocate_kit(s, second, depot_id=tech.depot_id, actor=helpdesk, now=utcnow())
        visits.book(s, second, day=today, window=(7 * 60, 18 * 60), actor=helpdesk, now=utcnow(), today=today)
    s.close()
    return free[0], free[1]


def test_request_book_plan_print_scan_and_complete(page, live_app, live_server):
    live_app.config["PLAN_SECONDS"] = 2.0
    page.on("dialog", lambda dialog: dialog.accept())
    citizen, failing = _prepare(live_app)
    today = local_date(utcnow())
    db = live_app.extensions["database"].factory()

    # 1. The municipal nurse requests the setup from the citizen's page.
    log_in(page, *NURSE)
    page.goto(f"/citizens/{citizen.id}")
    page.locator("#visits-panel a[href*='/dispatch/request/']").click()
    page.select_option("#programme_id", label="KOL (kronisk obstruktiv lungesygdom)")
    page.fill("#earliest_on", today.isoformat())
    page.fill("#latest_on", (today + dt.timedelta(days=7)).isoformat())
    page.select_option("#time_of_day", "any")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/dispatch/requests")
    assert citizen.full_name in page.locator("#requests").inner_text()
    visit = db.scalar(select(Visit).where(Visit.citizen_id == citizen.id))
    assert visit.status == VisitStatus.REQUESTED
    log_out(page)

    # 2. The helpdesk reserves a kit at the Aarhus depot and books the visit for today.
    log_in(page, *HELPDESK)
    page.goto(f"/dispatch/visits/{visit.id}")
    page.select_option("#allocate-depot_id", label="Lager Aarhus")
    page.locator("form[action$='/allocate'] button[type=submit]").click()
    page.locator("#kit-tags").wait_for()
    kit_tags = set(re.findall(r"\bD[0-9A-Z]{7}\b", page.locator("#kit-tags").inner_text()))
    assert len(kit_tags) == 3
    page.fill("#book-day", today.isoformat())
    page.select_option("#book-time_of_day", "any")
    page.locator("form[action$='/book'] button[type=submit]").click()
    page.wait_for_url(f"**/dispatch/visits/{visit.id}")
    assert today.strftime("%d.%m.%Y").lstrip("0") in page.locator("#visit-booked").inner_text() or \
        page.locator("#visit-booked").inner_text() != "—"

    # 3. The planner optimises today (progress shows, then the page reloads) and publishes.
    page.goto(f"/dispatch/plan?day={today.isoformat()}")
    page.locator("#optimise").click()
    page.locator("#publish, #plan-progress .alert-danger").first.wait_for(timeout=60_000)
    assert page.locator("#publish").count() == 1, page.locator("main").inner_text()[:800]
    screenshot(page, "plan-optimised")
    stops = page.locator("#routes .stop")
    assert {stops.nth(i).get_attribute("data-visit") for i in range(stops.count())} >= {str(visit.id)}
    assert page.locator("#routes svg, svg polyline").count() >= 1
    page.locator("#publish").click()
    sheet_link = page.locator("a[href*='/sheet/']").first
    sheet_link.wait_for()
    db.rollback()
    assert db.get(Visit, visit.id).published_at is not None

    # 4. The route sheet lists the stop; its barcodes decode to the kit's devices.
    pdf = page.request.get(live_server + sheet_link.get_attribute("href")).body()
    document = pdfium.PdfDocument(pdf)
    decoded = {r.text for p in document for r in zxingcpp.read_barcodes(p.render(scale=300 / 72).to_pil())}
    assert kit_tags <= decoded
    assert citizen.full_name in "".join(p.get_textpage().get_text_range() for p in document)
    ARTIFACTS.mkdir(exist_ok=True)
    document[1 if len(document) > 1 else 0].render(scale=1.5).to_pil().save(ARTIFACTS / "route-sheet-stop.png")
    log_out(page)

    # 5. At the door: the technician scans the kit's devices into the home and completes the visit.
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, *TECHNICIAN)
    page.goto("/dispatch/my-day")
    screenshot(page, "my-day-phone")
    page.locator(f"a[href$='/my-day/visits/{visit.id}']").click()
    page.locator("#start").click()
    page.locator("#code").wait_for()
    for n, tag in enumerate(sorted(kit_tags), start=1):
        page.fill("#code", tag)
        page.press("#code", "Enter")
        page.locator("#scan-log [data-scan-result=ok]").nth(n - 1).wait_for()
    screenshot(page, "field-visit-scanned")
    expect(page.locator("#code")).to_be_focused()  # the last answer is in and the page has stopped moving
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.locator("#complete").press("Enter")  # the keyboard: a mouse click here raced the page's own scroll
    assert page.url.endswith("/dispatch/my-day")  # back to the day's list
    db.rollback()
    done = db.get(Visit, visit.id)
    assert done.status == VisitStatus.DONE
    home = db.scalar(select(Holder).where(Holder.course_id == done.course_id))
    for tag in kit_tags:
        device = db.scalar(select(Device).where(Device.tag == tag))
        assert (device.holder_id, device.status) == (home.id, DeviceStatus.AT_CITIZEN)
    assert {d.tag for d in inventory.devices_in_home(db, done.course_id)} == kit_tags

    # 6. The second stop: nobody home. It fails with the reason and goes back to the queue.
    other = db.scalar(select(Visit).where(Visit.citizen_id == failing.id))
    page.goto(f"/dispatch/my-day/visits/{other.id}")
    page.locator("#fail summary").click()
    page.select_option("#fail select[name=reason]", "not_home")
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.locator("#fail button[type=submit]").click()
    db.rollback()
    assert (db.get(Visit, other.id).status, db.get(Visit, other.id).failure_reason.value) == (VisitStatus.REQUEUED,
                                                                                                "not_home")
    page.set_viewport_size({"width": 1280, "height": 900})  # the phone's menu is folded away
    log_out(page)
    log_in(page, *HELPDESK)
    page.goto("/dispatch/?show=failed")
    row = page.locator("#queue tr", has_text=failing.full_name)
    assert "ikke hjemme" in row.inner_text()
    db.close()
