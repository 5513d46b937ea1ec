"""Issue 13: the frequent tasks in the fewest steps, counted in real Chromium as a user pays for them (one click,
one key, one typed value; see tests/browser/interactions.py), each failing above its goal."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from dispatch.models import Visit, VisitKind
from inventory.models import Device, DeviceCategory
from servicecenter.auth.models import User
from servicecenter.citizens import service as citizens
from servicecenter.courses.models import Course
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.organisations.models import Organisation
from support.models import Category, Channel, Priority, RequesterKind, Ticket, TicketEvent
from support.service import tickets
from tests.browser.conftest import log_in, screenshot
from tests.browser.interactions import Counted
from tests.browser.test_support_journey import HELPDESK, PHONE, _prepare

pytestmark = pytest.mark.browser

NURSE = ("sygeplejerske", "Servicecenter-demo-6")


def test_a_device_fault_call_takes_five_interactions_from_the_start_page(page, live_app):
    home = _prepare(live_app)
    db = live_app.extensions["database"].factory()
    log_in(page, *HELPDESK)
    user = Counted(page)
    assert user.focused() == "q"  # the start page's caller field has the cursor
    user.type(PHONE)
    user.press("Enter")
    expect(page.locator("#caller-card")).to_contain_text(home.full_name)
    assert user.count <= 2  # the caller is identified
    assert user.focused() == "body"  # the cursor is where the next typing goes
    user.type("Iltmåleren viser ingenting")
    oximeter = home.kit_tags[DeviceCategory.PULSE_OXIMETER]
    expect(page.locator("#caller-devices label", has_text=oximeter)).to_be_visible()
    radio = page.locator("#caller-devices input:checked")
    assert oximeter in page.locator(f"label[for='{radio.get_attribute('id')}']").inner_text()  # named: picked
    user.press("Tab")  # to "Device fault", the first category
    with page.expect_navigation():
        user.press("Enter")
    user.within(5, "log a device-fault call from the start page")
    ticket = db.scalar(select(Ticket).order_by(Ticket.id.desc()))
    device = db.scalar(select(Device).where(Device.tag == oximeter))
    assert (ticket.category, ticket.device_id, ticket.citizen_id) == (Category.DEVICE_FAULT, device.id,
                                                                      home.citizen_id)
    assert ticket.subject == "Iltmåleren viser ingenting"
    db.close()


def test_a_stray_key_after_the_lookup_never_saves_an_empty_ticket(page, live_app):
    _prepare(live_app)
    db = live_app.extensions["database"].factory()
    before = db.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1))
    log_in(page, *HELPDESK)
    page.keyboard.type(PHONE)
    page.keyboard.press("Enter")
    page.locator("#caller-card").wait_for()
    page.evaluate("document.activeElement.blur()")  # out of the text box, where "1" is the device-fault button
    page.keyboard.press("1")
    expect(page.locator("#body.is-invalid")).to_be_visible()  # answered at the field, nothing saved
    db.rollback()
    assert db.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1)) == before
    db.close()


def _unassigned_tickets(app, n: int) -> list[int]:
    s = app.extensions["database"].factory()
    with unit_of_work(s):
        helpdesk = s.scalar(select(User).where(User.username == HELPDESK[0]))
        made = [tickets.create_ticket(s, tickets.TicketData(
            subject=f"Tastatur {i}", category=Category.HOW_TO, requester_kind=RequesterKind.NURSE,
            channel=Channel.PHONE, priority=Priority.P4, body="Spørgsmål", requester_name="Ida"),
            actor=helpdesk, now=utcnow()) for i in range(n)]
        for ticket in made:
            ticket.assignee_id = None
        ids = [t.id for t in made]
    s.close()
    return ids


def test_queue_third_ticket_opened_and_taken_in_six_keys(page, live_app):
    _unassigned_tickets(live_app, 3)
    log_in(page, *HELPDESK)
    user = Counted(page)
    assert user.focused() == "q"  # even from inside the caller field
    with page.expect_navigation():
        user.press("Alt+q")
    expect(page.locator("#queue-keys kbd", has_text="Q")).to_be_visible()
    assert page.locator("nav a[aria-keyshortcuts*='Alt+Q']").count() == 1
    with page.expect_navigation():
        user.press("2")  # the "Unassigned" tab
    expect(page.locator("#queue-tabs a.active")).to_have_attribute("aria-keyshortcuts", "2")
    rows = page.locator("#tickets tr[data-href]")
    third = rows.nth(2).get_attribute("data-href")
    user.press("j")
    user.press("j")
    expect(rows.nth(2)).to_have_class(re.compile("table-active"))
    with page.expect_navigation():
        user.press("Enter")
    assert page.url.endswith(third)
    with page.expect_navigation():
        user.press("t")
    user.within(6, "open the queue, move to the third ticket, open it and take it")
    ticket_id = int(third.rsplit("/", 1)[1])
    db = live_app.extensions["database"].factory()
    helpdesk = db.scalar(select(User).where(User.username == HELPDESK[0]))
    assert db.get(Ticket, ticket_id).assignee_id == helpdesk.id
    db.close()


def test_ctrl_enter_sends_a_reply(page, live_app):
    [ticket_id] = _unassigned_tickets(live_app, 1)
    log_in(page, *HELPDESK)
    page.goto(f"/support/tickets/{ticket_id}")
    page.keyboard.press("r")
    page.keyboard.type("Vi ringer i morgen")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    db = live_app.extensions["database"].factory()
    bodies = [e.body for e in db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id))]
    assert "Vi ringer i morgen" in bodies
    db.close()


def test_a_nurse_requests_a_setup_visit_in_at_most_eight_interactions(page, live_app):
    s = live_app.extensions["database"].factory()
    now = utcnow()
    with unit_of_work(s):
        nurse = s.scalar(select(User).where(User.username == NURSE[0]))
        aarhus = s.scalar(select(Organisation).where(Organisation.code == "751"))
        citizen = citizens.create_citizen(s, citizens.CitizenData(
            cpr="120350-1234", first_name="Inge", last_name="Anmodesen", address="Åboulevarden 1",
            postal_code="8000", city="Aarhus C", municipality_id=aarhus.id, latitude=56.157, longitude=10.21,
            phone="86 99 01 02"), actor=nurse, now=now)
        usual = s.scalar(select(Course.programme_id).where(Course.referred_by_organisation_id == aarhus.id)
                         .order_by(Course.id.desc()).limit(1))
        citizen_id = citizen.id
    s.close()
    assert usual is not None  # the demo's Aarhus nurse referred before: that programme is preselected
    log_in(page, *NURSE)
    user = Counted(page)
    assert user.focused() == "q"
    user.type("120350-1234")
    user.press("Enter")
    user.click(page.get_by_role("link", name="Anmodesen, Inge"), "the citizen")
    user.click(page.get_by_role("link", name="Bestil opsætningsbesøg"), "request setup visit")
    today = local_date(utcnow())
    expect(page.locator("#earliest_on")).to_have_value(today.isoformat())
    expect(page.locator("#programme_id")).to_have_value(str(usual))
    screenshot(page, "nurse-request-defaults")
    with page.expect_navigation():
        user.click(page.get_by_role("button", name="Send bestilling"), "send")
    user.within(8, "a nurse's setup request from her start page")
    db = live_app.extensions["database"].factory()
    visit = db.scalar(select(Visit).where(Visit.citizen_id == citizen_id))
    assert visit.kind == VisitKind.SETUP and visit.earliest_on == today and visit.course.programme_id == usual
    db.close()
