"""The journeys people make, in real Chromium against a real server."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from servicecenter.citizens.models import Citizen
from servicecenter.courses.models import Course
from servicecenter.organisations.models import Organisation
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

HELPDESK = ("helpdesk", "Servicecenter-demo-3")
NURSE = ("sygeplejerske", "Servicecenter-demo-6")


def db(live_app):
    return live_app.extensions["database"].factory()


def test_helpdesk_searches_with_the_keyboard_and_opens_a_record_with_the_cpr_masked(page, live_app):
    s = db(live_app)
    target = s.scalar(select(Citizen).order_by(Citizen.id).limit(1))
    s.close()
    log_in(page, *HELPDESK)
    page.get_by_role("link", name="Borgere").first.click()
    search = page.locator("#q")
    # The search field has focus on arrival: the helpdesk types straight away.
    page.locator("#q:focus").wait_for(timeout=5000)
    page.keyboard.type(f"{target.first_name} {target.last_name}")
    page.keyboard.press("Enter")
    row_link = page.locator("#results").get_by_role("link", name=f"{target.last_name}, {target.first_name}").first
    row_link.wait_for()
    screenshot(page, "citizen-search")
    row_link.click()
    page.wait_for_url(f"**/citizens/{target.id}")
    cpr = page.locator(f"#cpr-{target.id}")
    assert cpr.inner_text() == f"{target.cpr[:6]}-XXXX"
    assert target.cpr[6:] not in page.content()
    screenshot(page, "citizen-view")
    page.get_by_role("button", name="Vis CPR").click()
    page.locator(f"#cpr-{target.id}.fw-semibold").wait_for()  # the revealed number replaced the masked one
    assert page.locator(f"#cpr-{target.id}").inner_text() == f"{target.cpr[:6]}-{target.cpr[6:]}"
    assert search is not None


def test_an_invalid_cpr_is_shown_at_the_field_and_nothing_is_saved(page, live_app):
    s = db(live_app)
    before = s.scalar(select(func.count()).select_from(Citizen))
    s.close()
    log_in(page, *HELPDESK)
    page.goto("/citizens/new")
    page.get_by_label("CPR-nummer").fill("310250-1234")
    page.get_by_label("Fornavn(e)").fill("Test")
    page.get_by_label("Efternavn").fill("Testesen")
    page.get_by_label("Adresse").fill("Testvej 1")
    page.get_by_label("Postnummer").fill("8000")
    page.get_by_label("By").fill("Aarhus C")
    page.get_by_label("Kommune").select_option(label="Aarhus Kommune")
    page.get_by_role("button", name="Gem").click()
    error = page.locator("#cpr-err")
    error.wait_for()
    assert "dato" in error.inner_text()
    assert "is-invalid" in page.locator("#cpr").get_attribute("class")
    assert page.locator("#first_name").input_value() == "Test"  # what was typed is kept
    screenshot(page, "citizen-invalid-cpr")
    s = db(live_app)
    assert s.scalar(select(func.count()).select_from(Citizen)) == before
    s.close()


def test_a_nurse_cannot_open_a_citizen_outside_her_care(page, live_app):
    s = db(live_app)
    aarhus = s.scalar(select(Organisation.id).where(Organisation.code == "751"))
    ours = select(Course.citizen_id).where((Course.lead_organisation_id == aarhus)
                                           | (Course.referred_by_organisation_id == aarhus))
    other = s.scalar(select(Citizen).where(Citizen.id.not_in(ours), Citizen.responsible_organisation_id != aarhus)
                     .limit(1))
    own = s.scalar(select(Citizen).where(Citizen.id.in_(ours.where(Course.ended_at.is_(None)))).limit(1))
    s.close()
    log_in(page, *NURSE)
    if own is not None:
        page.goto(f"/citizens/{own.id}")
        assert page.locator("h1").inner_text() == f"{own.first_name} {own.last_name}"
    response = page.goto(f"/citizens/{other.id}")
    assert response.status == 404  # as for a citizen who does not exist
    assert "Ikke fundet" in page.locator("h1").inner_text()
    assert other.last_name not in page.content()


def test_after_logout_the_old_session_cookie_no_longer_works(page, browser, live_server):
    log_in(page, *HELPDESK)
    cookies = page.context.cookies()
    assert any(c["name"] == "session" for c in cookies)
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url("**/login")
    replay = browser.new_context(base_url=live_server)
    replay.add_cookies(cookies)
    replayed = replay.new_page()
    replayed.goto("/citizens/")
    assert "/login" in replayed.url
    replay.close()


def test_switch_the_language_to_english_and_back(page):
    log_in(page, *HELPDESK)
    page.goto("/citizens/")
    assert page.locator("h1").inner_text() == "Borgere"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Citizens"
    assert page.locator("html").get_attribute("lang") == "en"
    assert "/citizens/" in page.url  # stays on the same page
    page.get_by_role("button", name="Dansk").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Borgere"


def test_the_layout_works_at_phone_width(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 740})
    page = context.new_page()
    log_in(page, *HELPDESK)
    page.goto("/citizens/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Log ud").wait_for(state="visible")
    screenshot(page, "phone-menu")
    context.close()
