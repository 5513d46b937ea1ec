"""Edge cases a second reader found: swaps that end while their ticket is closed, merged or failed twice, a second
swap for the same device, a round-robin member whose role changed, numbers beyond the database's integers and
months beyond the calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from dispatch.models import FailureReason, Visit
from dispatch.service import visits
from inventory.models import Device, DeviceStatus
from servicecenter.auth.models import Role
from servicecenter.auth.service import update_user
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.errors import Conflict
from support.models import EventKind, Priority, Ticket, TicketStatus
from support.service import figures, swaps, tickets
from tests.support.helpers import SupportWorld

S = TicketStatus


@pytest.fixture
def world(session, factory):
    return SupportWorld(session, factory)


def _swap(world, session):
    tech, tech_user = world.make_technician(shift=(0, 24 * 60))
    citizen, home, tablet = world.tablet_at_home()
    replacement = world.device()  # ready at the depot: the swap reserves it
    ticket = world.ticket(citizen_id=citizen.id, device_id=tablet.id, priority=Priority.P2)
    with unit_of_work(session):
        visit = swaps.escalate_to_swap(session, tickets.lock_ticket(session, ticket.id), actor=world.helpdesk,
                                       now=utcnow(), today=local_date(utcnow()))
    world.scan("load", replacement.tag, world.van)
    return {"tech": tech, "user": tech_user, "citizen": citizen, "home": home, "tablet": tablet,
            "replacement": replacement, "ticket": ticket.id, "visit": visit.id}


def _finish(world, session, w):
    world.publish_to(w["visit"], w["tech"])
    world.scan("collect", w["tablet"].tag, world.van, actor=w["user"], visit_id=w["visit"])
    world.scan("handover", w["replacement"].tag, w["home"], actor=w["user"], visit_id=w["visit"])
    with unit_of_work(session):
        visits.complete(session, session.get(Visit, w["visit"]), actor=w["user"], now=utcnow())


def test_a_swap_done_after_its_ticket_was_closed_still_sends_the_device_to_repair(world, session):
    w = _swap(world, session)
    with unit_of_work(session):
        tickets.change_status(session, tickets.lock_ticket(session, w["ticket"]), S.CLOSED, actor=world.helpdesk,
                              now=utcnow())
    _finish(world, session, w)
    session.rollback()
    assert session.get(Device, w["tablet"].id).status == DeviceStatus.FAULTY
    assert session.get(Ticket, w["ticket"]).status == S.CLOSED


def test_a_duplicate_waiting_for_its_swap_is_not_merged_away(world, session):
    w = _swap(world, session)
    other = world.ticket(citizen_id=w["citizen"].id, device_id=w["tablet"].id)
    with pytest.raises(Conflict, match="waits for its swap visit"), unit_of_work(session):
        tickets.merge(session, tickets.get_ticket(session, w["ticket"]), tickets.get_ticket(session, other.id),
                      actor=world.helpdesk, now=utcnow())
    with unit_of_work(session):  # the other way round is fine: the survivor keeps waiting for the swap
        tickets.merge(session, tickets.get_ticket(session, other.id), tickets.get_ticket(session, w["ticket"]),
                      actor=world.helpdesk, now=utcnow())
    _finish(world, session, w)
    session.rollback()
    assert session.get(Ticket, w["ticket"]).status == S.RESOLVED


def test_a_second_swap_for_the_same_device_is_refused(world, session):
    w = _swap(world, session)
    relative = world.ticket(citizen_id=w["citizen"].id, device_id=w["tablet"].id, subject="Datteren ringer")
    with pytest.raises(Conflict, match="already on its way"), unit_of_work(session):
        swaps.escalate_to_swap(session, tickets.lock_ticket(session, relative.id), actor=world.helpdesk,
                               now=utcnow(), today=local_date(utcnow()))


def test_each_failed_swap_is_noted_with_its_own_reason(world, session):
    w = _swap(world, session)
    for reason in (FailureReason.NOT_HOME, FailureReason.HOSPITALISED):
        world.publish_to(w["visit"], w["tech"])
        with unit_of_work(session):
            visits.fail(session, session.get(Visit, w["visit"]), reason=reason, note="", actor=w["user"],
                        now=utcnow(), call_again_on=local_date(utcnow()) + dt.timedelta(days=3))
    notes = [e.data["failed"] for e in world.events(w["ticket"]) if e.kind == EventKind.NOTE]
    assert notes == ["not_home", "hospitalised"]


def test_a_member_whose_role_changed_no_longer_takes_a_turn(world, session):
    group = world.group(round_robin=True)
    moved = world.agents[1]
    admin = world.factory.user(Role.ADMIN)
    with unit_of_work(session):
        update_user(session, session.get(type(moved), moved.id), actor=admin, now=utcnow(), full_name=moved.full_name,
                    role=Role.TECHNICIAN, organisation_id=moved.organisation_id, email=None, phone=None)
    made = [world.ticket(group_id=group.id).id for _ in range(6)]
    session.rollback()
    assignees = [session.get(Ticket, i).assignee_id for i in made]
    assert moved.id not in assignees and len(set(assignees)) == 3


def test_figures_count_no_device_months_that_have_not_happened(world, session):
    world.tablet_at_home()
    now = utcnow()
    rows = figures.model_figures(session, start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=29), now=now)
    assert all(r.device_months < 0.01 for r in rows)  # a few seconds at home so far, not a month


@pytest.fixture
def agent(world, client):
    client.login(world.helpdesk.username)
    client.post("/language", data={"lang": "en"})
    return world.helpdesk


def test_numbers_beyond_the_databases_integers_get_a_message(world, client, agent):
    ticket = world.ticket()
    huge = "99999999999"
    for action, data in (("merge", {"merge-other": huge}), ("link", {"link-other": huge}),
                         ("assign", {"assign-assignee_id": huge, "assign-expected": "0"}),
                         ("group", {"group-group_id": huge}), ("device", {"device-device_id": huge})):
        response = client.post(f"/support/tickets/{ticket.id}/{action}", data=data, follow_redirects=True)
        assert response.status_code == 200, action
    assert client.post("/support/call/log", data={"q": "70707070", "device_id": huge,
                                                  "category": "how_to"}).status_code == 400


def test_months_beyond_the_calendar_get_a_message(world, client, factory):
    client.login(factory.user(Role.COORDINATOR).username)
    for month in ("0001-01", "9999-12", "2026-13"):
        assert client.get(f"/support/figures?month={month}").status_code == 400, month
