"""The helpdesk's pages over HTTP on both databases: log a call, the queue, the ticket page and its actions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select

from dispatch.models import Visit, VisitKind
from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import Role
from support.models import Category, EventKind, Ticket, TicketStatus
from tests.support.helpers import SupportWorld


@pytest.fixture
def world(session, factory):
    return SupportWorld(session, factory)


@pytest.fixture
def agent(world, client):
    client.login(world.helpdesk.username)
    client.post("/language", data={"lang": "en"})
    return world.helpdesk


def _tickets(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Ticket))


def test_a_call_by_phone_is_logged_in_one_click_after_the_lookup(world, client, agent, session):
    citizen, _home, tablet = world.tablet_at_home(world.citizen_near(1, phone="86 12 34 56"))
    old = world.ticket(citizen_id=citizen.id, subject="Gammel sag om opladning")
    page = client.post("/support/call", data={"q": "86 12 34 56"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert citizen.full_name in text and tablet.tag in text and old.subject in text
    assert re.search(rf'id="device-{tablet.id}" value="{tablet.id}" checked', text)  # the only device, chosen
    # What the caller said and the category button (the form carries the rest); without the text, nothing is saved
    # (a stray "1" after the lookup once saved an empty ticket).
    form = {"q": "86 12 34 56", "citizen_id": citizen.id, "device_id": tablet.id, "category": "device_fault",
            "requester_kind": "citizen", "channel": "phone", "priority": "P3"}
    empty = client.post("/support/call/log", data=form)
    assert empty.status_code == 400 and "Write what the call is about" in empty.get_data(as_text=True)
    assert _tickets(session) == 1  # the old one only
    saved = client.post("/support/call/log", data={**form, "body": "Tabletten vil ikke lade op"})
    assert saved.status_code == 302
    session.rollback()
    ticket = session.scalar(select(Ticket).order_by(Ticket.id.desc()))
    assert saved.headers["Location"].endswith(f"/support/tickets/{ticket.id}")
    assert (ticket.citizen_id, ticket.device_id, ticket.category) == (citizen.id, tablet.id, Category.DEVICE_FAULT)
    assert ticket.requester_name == citizen.full_name and ticket.status == TicketStatus.NEW
    # The number typed reaches neither a URL nor the audit log.
    details = " ".join(str(d) for d in session.scalars(select(AuditEvent.detail)))
    assert "86123456" not in details and "86 12 34 56" not in details


def test_bad_lookups_and_bad_saves_are_answered_at_the_field_and_save_nothing(world, client, agent, session):
    citizen, _home, tablet = world.tablet_at_home(world.citizen_near(2, phone="86 00 00 01"))
    other_device = world.device()
    page = client.post("/support/call", data={"q": "Karen"})
    assert page.status_code == 400 and "phone number, a CPR number or an asset tag" in page.get_data(as_text=True)
    base = {"q": "86000001", "citizen_id": citizen.id, "requester_kind": "citizen", "channel": "phone",
            "priority": "P3", "body": "Virker ikke"}
    no_category = client.post("/support/call/log", data={**base, "device_id": tablet.id, "category": "nonsense"})
    assert no_category.status_code == 400
    assert "Choose a category." in no_category.get_data(as_text=True)
    foreign = client.post("/support/call/log", data={**base, "device_id": other_device.id,
                                                     "category": "device_fault"})
    assert foreign.status_code == 400 and "Choose one of the caller" in foreign.get_data(as_text=True)
    assert _tickets(session) == 0


def test_an_unknown_caller_can_still_be_logged(world, client, agent, session):
    page = client.post("/support/call", data={"q": "70 70 70 70"})
    assert page.status_code == 200 and 'id="no-citizen"' in page.get_data(as_text=True)
    saved = client.post("/support/call/log", data={"q": "70 70 70 70", "citizen_id": "", "device_id": 0,
                                                   "category": "how_to", "body": "Hvordan bestiller jeg?",
                                                   "requester_kind": "nurse", "requester_name": "Sygeplejerske Ida",
                                                   "channel": "phone", "priority": "P4"})
    assert saved.status_code == 302
    session.rollback()
    ticket = session.scalar(select(Ticket))
    assert ticket.citizen_id is None and ticket.requester_phone == "70 70 70 70"
    assert ticket.subject == "Hvordan bestiller jeg?" and ticket.requester_name == "Sygeplejerske Ida"


def test_the_ticket_page_shows_what_people_wrote_as_text(world, client, agent):
    ticket = world.ticket(body='<script>alert("x")</script> virker ikke', subject="<b>fed</b>")
    page = client.get(f"/support/tickets/{ticket.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "<b>fed</b>" not in page and "&lt;b&gt;fed&lt;/b&gt;" in page


def test_reply_status_take_and_merge_over_http(world, client, agent, session):
    citizen = world.citizen_near(3)
    first = world.ticket(citizen_id=citizen.id)
    second = world.ticket(citizen_id=citizen.id, subject="Samme igen")
    assert client.post(f"/support/tickets/{first.id}/take").status_code == 302
    client.post(f"/support/tickets/{first.id}/reply", data={"reply-body": "Vi kigger på det", "reply-kind": "reply"})
    client.post(f"/support/tickets/{first.id}/status", data={"status-status": "waiting_customer",
                                                            "status-note": "venter på datter"})
    merged = client.post(f"/support/tickets/{second.id}/merge", data={"merge-other": first.id})
    assert merged.headers["Location"].endswith(f"/support/tickets/{first.id}")
    session.rollback()
    t = session.get(Ticket, first.id)
    assert t.assignee_id == agent.id and t.status == TicketStatus.WAITING_CUSTOMER and t.first_response_at
    page = client.get(f"/support/tickets/{first.id}").get_data(as_text=True)
    assert "venter på datter" in page and "Samme igen" not in page or f"#{second.id}" in page
    assert session.get(Ticket, second.id).merged_into_id == first.id
    refused = client.post(f"/support/tickets/{first.id}/status", data={"status-status": "new"},
                          follow_redirects=True)
    assert "cannot change" in refused.get_data(as_text=True)


def test_escalate_to_swap_over_http(world, client, agent, session):
    citizen, _home, tablet = world.tablet_at_home()
    ticket = world.ticket(citizen_id=citizen.id, device_id=tablet.id)
    response = client.post(f"/support/tickets/{ticket.id}/swap", data={"swap-note": "Skærmen er sort"},
                           follow_redirects=True)
    assert response.status_code == 200 and "swap visit is requested" in response.get_data(as_text=True)
    session.rollback()
    visit = session.scalar(select(Visit).where(Visit.kind == VisitKind.SWAP))
    assert visit.swap_device_id == tablet.id and "Skærmen er sort" in visit.notes
    assert session.get(Ticket, ticket.id).status == TicketStatus.WAITING_THIRD_PARTY


def test_the_queue_tabs_and_their_statement_count_does_not_grow_with_the_tickets(world, client, agent, app):
    engine = app.extensions["database"].engine
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def statements_for(path: str) -> int:
        client.get(path)  # warm: the login session's last_seen may be written once
        statements.clear()
        assert client.get(path).status_code == 200
        return len(statements)

    for _ in range(3):
        world.ticket()
    few = {view: statements_for(f"/support/?view={view}") for view in ("mine", "unassigned", "breached")}
    for _ in range(60):
        world.ticket()
    many = {view: statements_for(f"/support/?view={view}") for view in ("mine", "unassigned", "breached")}
    assert few == many
    page = client.get("/support/?view=unassigned").get_data(as_text=True)
    assert page.count('data-href="/support/tickets/') == 50 and re.search(r"href=\"[^\"]*page=2[^\"]*\">Next", page)
    assert client.get("/support/?view=everything").status_code == 404


def test_only_the_helpdesk_and_coordinators_work_tickets(world, client, session):
    ticket = world.ticket()
    for role in (Role.TECHNICIAN, Role.NURSE, Role.WAREHOUSE, Role.ADMIN):
        user = world.factory.user(role)
        client.login(user.username)
        assert client.get("/support/").status_code == 403, role
        assert client.get(f"/support/tickets/{ticket.id}").status_code == 403, role
        assert client.post("/support/call", data={"q": "86123456"}).status_code == 403, role
        client.post("/logout")


def test_the_citizen_timeline_lists_the_tickets(world, client, agent):
    citizen, _home, tablet = world.tablet_at_home()
    ticket = world.ticket(citizen_id=citizen.id, device_id=tablet.id, subject="Pulsoximeter viser intet")
    page = client.get(f"/citizens/{citizen.id}/timeline?c=ticket").get_data(as_text=True)
    assert f"Ticket #{ticket.id}" in page or f"Sag #{ticket.id}" in page
    assert "Pulsoximeter viser intet" in page


def test_an_internal_note_is_marked_and_does_not_count_as_a_reply(world, client, agent, session):
    ticket = world.ticket()
    client.post(f"/support/tickets/{ticket.id}/reply", data={"reply-body": "Kun til os", "reply-kind": "note"})
    session.rollback()
    assert session.get(Ticket, ticket.id).first_response_at is None
    kinds = [e.kind for e in world.events(ticket.id)]
    assert kinds == [EventKind.CREATED, EventKind.NOTE]


def test_a_merge_or_link_with_a_number_that_does_not_exist_says_so(world, client, agent, session):
    ticket = world.ticket()
    for action in ("merge", "link"):
        page = client.post(f"/support/tickets/{ticket.id}/{action}", data={f"{action}-other": 99999},
                           follow_redirects=True)
        assert page.status_code == 200 and "No such ticket." in page.get_data(as_text=True)
    assert client.post("/support/tickets/99999/take").status_code == 404
    session.rollback()
    assert session.get(Ticket, ticket.id).merged_into_id is None


def test_a_queue_row_shows_its_deadline_state_and_links(world, client, agent):
    import datetime as dt

    from babel.dates import format_datetime

    from servicecenter.db import LOCAL_ZONE, utcnow
    from support.models import Priority

    breached = world.ticket(priority=Priority.P1, now=utcnow() - dt.timedelta(hours=1))  # 30 minutes, 24/7
    page = client.get("/support/?view=unassigned").get_data(as_text=True)
    row = page[page.index(f'data-href="/support/tickets/{breached.id}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-sla="breached"' in row and ">breached<" in row
    due = format_datetime(breached.sla_due_at, "short", tzinfo=LOCAL_ZONE, locale="en_GB")  # as the datetime filter
    assert due in row
    assert f'action="/support/tickets/{breached.id}/take"' in row and ">Take<" in row


def test_a_relatives_phone_finds_the_citizen_and_the_lookup_shows_courses_contacts_and_a_death(world, client, agent,
                                                                                                session):
    from servicecenter.citizens import service as citizens
    from servicecenter.citizens.models import ContactKind
    from servicecenter.courses import service as courses
    from servicecenter.courses.models import Course, EndReason
    from servicecenter.db import unit_of_work, utcnow

    citizen, home, _tablet = world.tablet_at_home(world.citizen_near(3, phone="86 33 33 33"))
    with unit_of_work(session):
        citizens.add_contact(session, citizen, citizens.ContactData(ContactKind.RELATIVE, "Bo Datter", "datter",
                                                                    "+45 40 55 66 77", True),
                             actor=world.helpdesk, now=utcnow())
        citizens.add_contact(session, citizen, citizens.ContactData(ContactKind.GP, "Lægehuset", None, "87 00 00 00"),
                             actor=world.helpdesk, now=utcnow())
    page = client.post("/support/call", data={"q": "40556677"})  # the relative's number, typed without +45
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and citizen.full_name in text
    assert 'id="caller-relative"' in text and "Bo Datter" in text
    courses_part = text.split('id="caller-courses"')[1].split("</ul>")[0]
    assert "KOL" in courses_part or "COPD" in courses_part
    assert "Lægehuset" in text.split('id="caller-contacts"')[1].split("</ul>")[0]
    assert 'id="caller-deceased"' not in text
    # A GP's number is not a relative's: it finds no one (a clinic's phone would match hundreds of citizens).
    assert 'id="no-citizen"' in client.post("/support/call", data={"q": "87000000"}).get_data(as_text=True)
    with unit_of_work(session):
        course = session.get(Course, home.course_id)
        courses.end_course(session, course, reason=EndReason.DECEASED, exclusion_reason=None, actor=world.helpdesk,
                           now=utcnow())
    text = client.post("/support/call", data={"q": "86 33 33 33"}).get_data(as_text=True)
    assert 'id="caller-deceased"' in text


def test_the_device_named_in_the_description_is_the_ticket_device(world, client, agent, session):
    from inventory.models import DeviceCategory

    citizen, home, tablet = world.tablet_at_home(world.citizen_near(4, phone="86 44 44 44"))
    scale = world.device(DeviceCategory.SCALE)
    world.scan("load", scale.tag, world.van)
    world.scan("handover", scale.tag, home, actor=world.technician)
    page = client.post("/support/call", data={"q": "86444444"}).get_data(as_text=True)
    assert re.search(r'id="device-0" value="0"\s+checked', page)  # two devices: none chosen before the text
    assert f'id="device-{scale.id}" value="{scale.id}"' in page and 'data-device-words="' in page
    form = {"q": "86444444", "citizen_id": citizen.id, "device_id": 0, "category": "device_fault",
            "requester_kind": "citizen", "channel": "phone", "priority": "P3"}
    assert client.post("/support/call/log", data={**form, "body": "Vægten viser Err 4"}).status_code == 302
    session.rollback()
    assert session.scalar(select(Ticket).order_by(Ticket.id.desc())).device_id == scale.id
    # Two devices of the kind named, or none named: no guess.
    assert client.post("/support/call/log", data={**form, "body": "Det virker ikke"}).status_code == 302
    session.rollback()
    assert session.scalar(select(Ticket).order_by(Ticket.id.desc())).device_id is None
