"""The portal in a real browser, as the issue's acceptance describes it: a citizen signs in with a code read from
the outbox and sees only her visit windows; steps up through the test OpenID Connect provider and sees her
devices; moves a visit to another offered slot (the helpdesk's list shows it moved); reports a problem with her
tablet (a ticket in the queue linked to the device); sees that the helpdesk opened her record. A relative with
"visits only" sees the visits and not the devices; withdrawn, she sees nothing. axe-core checks every portal page
on the way (no serious or critical WCAG 2.1 A/AA violations), on a desktop and on a phone."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server

from servicecenter.citizens import service as citizens
from servicecenter.citizens.models import Citizen, ContactKind
from servicecenter.db import unit_of_work, utcnow
from support.models import Channel, Ticket
from tests.browser.axe import assert_accessible, serious_violations
from tests.browser.conftest import CHROMIUM_FLAGS, screenshot  # noqa: F401 - the flags document the launch
from tests.conftest import make_test_app
from tests.factories import Factory
from tests.oidc_provider import TestProvider
from tests.portal.helpers import NUMBER, Home, last_code

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"
DAUGHTER = "40506070"


@pytest.fixture
def portal_site(sqlite_url):
    """A live server whose public base URL is its own address, with MitID pointing at a test provider."""
    holder = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    with TestProvider(redirect_uris=[f"{base}/portal/mitid/callback"]) as provider:
        app = holder["app"] = make_test_app(sqlite_url, PUBLIC_BASE_URL=base, **provider.app_config())
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        session = sessionmaker(bind=app.extensions["database"].engine, expire_on_commit=True)()
        home = Home(session, Factory(session))
        home.day.publish({home.day.anna: [home.setup]})
        home.day.complete_setup(home.setup, home.devices)
        with unit_of_work(session):
            home.daughter_id = citizens.add_contact(
                session, session.get(Citizen, home.citizen.id), citizens.ContactData(
                    kind=ContactKind.RELATIVE, name="Karen Datter", relation="datter", phone="40 50 60 70"),
                actor=home.helpdesk, now=utcnow()).id
        yield base, provider, session, home
        session.close()
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["database"].engine.dispose()


def sign_in(page, session, number: str) -> None:
    page.goto("/portal/")
    page.fill("#number", number)
    page.click("#send-code")
    page.wait_for_url("**/portal/code")
    page.fill("#code", last_code(session, number))
    page.click("#check-code")
    page.wait_for_url("**/portal/home")


def staff(browser, base: str, username: str):
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_label("Adgangskode").press("Enter")
    page.wait_for_url(f"{base}/")
    return page


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_the_citizen_and_her_relative_in_the_portal(browser, portal_site, viewport):
    base, provider, session, home = portal_site
    citizen = browser.new_context(base_url=base, viewport=viewport)
    page = citizen.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    checked = []

    def accessible(what: str) -> None:
        assert_accessible(page, what)
        checked.append(what)

    page.goto("/portal/")
    accessible("the sign-in page")
    page.fill("#number", "20 30 40 50")
    page.click("#send-code")
    accessible("the code page")
    page.fill("#code", last_code(session, NUMBER))
    page.click("#check-code")
    page.wait_for_url("**/portal/home")
    # The code level: her visit windows, nothing about her equipment
    assert page.locator(f"#visit-{home.service.id}").is_visible()
    assert page.locator("#devices").count() == 0 and page.locator("#step-up").is_visible()
    accessible("her visits at the code level")
    # MitID through the test provider: its own approval page, then back at the substantial level
    provider.next_login(cpr=home.citizen.cpr)
    page.click("#step-up-mitid")
    page.wait_for_url(f"{provider.issuer}/authorize**")
    page.click("#approve")
    page.wait_for_url("**/portal/home")
    tablet = home.devices[0]
    assert page.locator("#devices").is_visible() and tablet.tag in page.locator("#devices").inner_text()
    accessible("her visits, equipment, trainings and contacts")
    screenshot(page, f"portal-home-{viewport['width']}")
    # Move the service visit to the second offered time
    page.locator(f"#visit-{home.service.id} a[href$='/move']").click()
    accessible("moving a visit")
    page.locator("input[name=slot]").nth(1).check()
    chosen = page.locator("input[name=slot]").nth(1).get_attribute("value")
    page.click("#move")
    page.wait_for_url("**/portal/home")
    moved = home.visit(home.service.id)
    assert f"{moved.scheduled_on.isoformat()}|{moved.window_start}|{moved.window_end}" == chosen
    # Report a problem with her tablet, picked from her own list
    page.click("#report-problem")
    accessible("reporting a problem")
    page.select_option("#device_id", str(tablet.id))
    page.fill("#text", "Tabletten tænder ikke")
    page.click("#send-problem")
    page.wait_for_url("**/portal/home")
    session.rollback()
    ticket = session.scalars(select(Ticket)).one()
    assert (ticket.channel, ticket.device_id, ticket.citizen_id) == (Channel.PORTAL, tablet.id, home.citizen.id)
    # The helpdesk: the move in the visit list, the ticket in the queue with the device, her record opened
    helpdesk = staff(browser, base, home.helpdesk.username)
    helpdesk.goto("/dispatch/?show=scheduled")
    row = helpdesk.locator(f"[data-visit='{home.service.id}']")
    assert "flyttet af borgeren" in row.inner_text()
    helpdesk.goto("/support/?view=unassigned")
    helpdesk.locator(f"a[href='/support/tickets/{ticket.id}']").first.click()
    assert tablet.tag in helpdesk.content()
    helpdesk.goto(f"/citizens/{home.citizen.id}")
    # ... and gives her daughter access to the visits only, on her behalf
    helpdesk.locator("#relatives-access summary").click()
    helpdesk.select_option("#contact_id", str(home.daughter_id))
    helpdesk.fill("#cpr", "020380-4321")
    helpdesk.check("#scope-visits")
    helpdesk.click("#grant")
    assert "Karen Datter" in helpdesk.locator("#grants").inner_text()
    page.goto("/portal/access")
    accessible("who looked at her information")
    log = page.locator("#access-log").inner_text()
    assert "Helpdesk" in log and home.helpdesk.full_name not in log
    # The daughter: the visits, not the devices
    relative_context = browser.new_context(base_url=base, viewport=viewport)
    relative = relative_context.new_page()
    sign_in(relative, session, DAUGHTER)
    assert relative.locator(f"#visit-{home.service.id}").is_visible() and relative.locator("#devices").count() == 0
    assert relative.locator("#relative-note").is_visible()
    assert not serious_violations(relative)
    # The citizen sees the daughter's read, and withdraws the access: the daughter sees nothing any more
    page.goto("/portal/access")
    assert "Karen Datter" in page.locator("#access-log").inner_text()
    page.goto("/portal/relatives")
    accessible("relatives' access")
    page.locator("#grants button[name=withdraw]").click()
    page.wait_for_url("**/portal/relatives")
    relative.reload()
    assert relative.url.endswith("/portal/") and relative.locator("#number").is_visible()
    # The portal in English passes the same check
    page.locator("button[name=lang][value=en]").click()
    page.goto("/portal/home")
    accessible("her visits in English")
    assert len(checked) >= 9
    for context in (citizen, relative_context, helpdesk.context):
        context.close()


def test_the_other_pages_a_citizen_meets_pass_axe(browser, portal_site):
    """The staff login (where a citizen may land first: it links to the portal) and the confirmation link in her
    text message, in Danish and English."""
    from dispatch.models import Visit
    from dispatch.service.confirm import make_token

    base, _provider, session, home = portal_site
    home.day.publish({home.day.anna: [home.day.other_visit(home.setup.course_id, home.service.kind)]})
    session.rollback()
    published = session.scalars(select(Visit).where(Visit.published_at.is_not(None),
                                                    Visit.status == home.service.status)).first()
    page = browser.new_context(base_url=base, viewport={"width": 390, "height": 844}).new_page()
    for language in ("da", "en"):
        page.goto("/login")
        assert_accessible(page, f"the staff login ({language})")
        page.click("text=" + ("Borger eller pårørende?" if language == "da" else "Citizen or relative?"))
        page.wait_for_url("**/portal/")
        page.goto(f"/dispatch/c/{make_token('test-secret-key', published)}")
        assert page.locator("#visit-window").is_visible()
        assert_accessible(page, f"the confirmation link ({language})")
        page.locator("button[name=lang]").click()
    page.context.close()
