"""Tickets through the services on both databases: the stored SLA, the status machine, merge, links,
round-robin, assignment races, escalation, settings, swaps, the knowledge base, canned responses and figures."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest
from sqlalchemy import func, select

from dispatch.models import Visit, VisitKind, VisitStatus
from dispatch.service import visits
from inventory.models import Device, DeviceCategory, DeviceStatus
from servicecenter.auth.models import Role
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.errors import Conflict, DomainError, InvalidTransition
from support.models import (
    NO_DEADLINE,
    Category,
    EventKind,
    Priority,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from support.service import calls, canned, escalation, figures, kb, settings, swaps, tickets
from tests.support.helpers import SupportWorld, monday_at

S = TicketStatus


@pytest.fixture
def world(session, factory):
    return SupportWorld(session, factory)


def test_a_new_ticket_stores_its_deadlines_from_the_log(world, session):
    at = monday_at(9)
    ticket = world.ticket(now=at, priority=Priority.P3)  # 4 h first response, 24 h resolution, 08-16
    session.rollback()
    t = session.get(Ticket, ticket.id)
    assert t.status == S.NEW and t.is_active
    assert t.first_response_due_at == monday_at(13)
    assert t.resolution_due_at == at + dt.timedelta(days=3)  # 24 business hours = three 8-hour days
    # The nearest running target; "breaching soon" at 20 % of 4 hours (48 minutes) before it.
    assert (t.sla_due_at, t.sla_warn_at) == (monday_at(13), monday_at(12, 12))
    assert [e.kind for e in world.events(t.id)] == [EventKind.CREATED]


def test_a_call_logged_afterwards_runs_from_the_time_of_the_call(world, session):
    ticket = world.ticket(now=monday_at(11), called_at=monday_at(9))
    session.rollback()
    assert session.get(Ticket, ticket.id).first_response_due_at == monday_at(13)
    with pytest.raises(DomainError, match="7 days"):
        world.ticket(now=monday_at(11), called_at=monday_at(12))  # in the future


def test_waiting_on_the_customer_stops_the_clock_and_the_reply_meets_the_first_response(world, session):
    ticket = world.ticket(now=monday_at(9))
    with unit_of_work(session):
        t = tickets.lock_ticket(session, ticket.id)
        tickets.add_message(session, t, "Vi ringer i morgen", public=True, actor=world.helpdesk, now=monday_at(10))
        assert t.status == S.OPEN and t.first_response_at == monday_at(10)
        assert t.sla_due_at == t.resolution_due_at  # only the resolution clock runs now
        tickets.change_status(session, t, S.WAITING_CUSTOMER, actor=world.helpdesk, now=monday_at(11))
        assert t.sla_due_at == NO_DEADLINE and t.resolution_due_at is None
        tickets.change_status(session, t, S.OPEN, actor=world.helpdesk, now=monday_at(15))
    session.rollback()
    t = session.get(Ticket, ticket.id)
    # 2 business hours ran before the pause; 22 are left from Monday 15:00: Thursday 13:00... minus nothing else
    assert t.resolution_due_at == monday_at(15) + dt.timedelta(days=3, hours=-2)


def test_an_internal_note_does_not_meet_the_first_response(world, session):
    ticket = world.ticket(now=monday_at(9))
    with unit_of_work(session):
        t = tickets.lock_ticket(session, ticket.id)
        tickets.add_message(session, t, "Intern: tjek SIM", public=False, actor=world.helpdesk, now=monday_at(10))
    session.rollback()
    t = session.get(Ticket, ticket.id)
    assert t.first_response_at is None and t.status == S.NEW and t.sla_due_at == monday_at(13)


ALL = list(TicketStatus)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ALL, ALL)))
def test_the_status_table_in_full(current, target):
    """Every pair against the table: allowed moves succeed, the rest raise naming the status."""
    from servicecenter.statuses import transition

    class Fake:
        id = 1
        status = current

    ticket = Fake()

    class NoSession:
        def add(self, _obj):
            pass

    if tickets.TICKET_STATUS.can(current, target):
        transition(NoSession(), ticket, target, table=tickets.TICKET_STATUS, actor=None, now=utcnow())
        assert ticket.status == target
    else:
        with pytest.raises(InvalidTransition):
            transition(NoSession(), ticket, target, table=tickets.TICKET_STATUS, actor=None, now=utcnow())
        assert ticket.status == current
    assert tickets.TICKET_STATUS.can(S.CLOSED, target) is False


def test_merge_keeps_every_event_of_both_tickets(world, session):
    citizen, _home, _tablet = world.tablet_at_home()
    first = world.ticket(citizen_id=citizen.id, body="Første opkald")
    second = world.ticket(citizen_id=citizen.id, body="Datter ringer om det samme")
    with unit_of_work(session):
        t = tickets.lock_ticket(session, second.id)
        tickets.add_message(session, t, "Intern note på dubletten", public=False, actor=world.helpdesk,
                            now=utcnow())
    before = {e.id for e in world.events(first.id)} | {e.id for e in world.events(second.id)}
    with unit_of_work(session):
        tickets.merge(session, tickets.get_ticket(session, second.id), tickets.get_ticket(session, first.id),
                      actor=world.helpdesk, now=utcnow())
    session.rollback()
    survivor, duplicate = session.get(Ticket, first.id), session.get(Ticket, second.id)
    shown = {e.id for e in tickets.history(session, survivor)}
    assert before <= shown  # nothing of either ticket is lost
    assert duplicate.merged_into_id == survivor.id and duplicate.status == S.CLOSED and not duplicate.is_active
    kinds = [e.kind for e in tickets.history(session, survivor)]
    assert EventKind.MERGED_FROM in kinds and EventKind.MERGED_INTO in kinds
    with pytest.raises(Conflict, match="merged into"), unit_of_work(session):
        tickets.add_message(session, tickets.lock_ticket(session, second.id), "x", public=True,
                            actor=world.helpdesk, now=utcnow())


def test_merge_refuses_itself_and_other_citizens(world, session):
    a = world.ticket(citizen_id=world.citizen_near(1).id)
    b = world.ticket(citizen_id=world.citizen_near(2).id)
    with pytest.raises(DomainError, match="itself"), unit_of_work(session):
        tickets.merge(session, tickets.get_ticket(session, a.id), tickets.get_ticket(session, a.id),
                      actor=world.helpdesk, now=utcnow())
    with pytest.raises(Conflict, match="different citizens"), unit_of_work(session):
        tickets.merge(session, tickets.get_ticket(session, a.id), tickets.get_ticket(session, b.id),
                      actor=world.helpdesk, now=utcnow())


def test_linking_is_stored_once_and_seen_from_both_sides(world, session):
    a, b = world.ticket(), world.ticket()
    for _ in range(2):
        with unit_of_work(session):
            tickets.link(session, tickets.get_ticket(session, b.id), tickets.get_ticket(session, a.id),
                         actor=world.helpdesk, now=utcnow())
    assert [t.id for t in tickets.linked_tickets(session, a.id)] == [b.id]
    assert [t.id for t in tickets.linked_tickets(session, b.id)] == [a.id]


def test_round_robin_spreads_100_tickets_evenly_over_4_agents_on_duty(world, session):
    group = world.group(round_robin=True)
    off_duty = world.factory.user(Role.HELPDESK)
    with unit_of_work(session):
        g = session.get(type(group), group.id)
        tickets.save_group(session, g, name=g.name, round_robin=True,
                           member_ids=[a.id for a in world.agents] + [off_duty.id], actor=world.coordinator,
                           now=utcnow())
    for _ in range(100):
        world.ticket(group_id=group.id)
    counts = Counter(session.scalars(select(Ticket.assignee_id)))
    assert counts == {a.id: 25 for a in world.agents}  # and none for the member who is not on duty


def test_round_robin_skips_an_agent_who_goes_off_duty(world, session):
    group = world.group(round_robin=True)
    with unit_of_work(session):
        tickets.set_on_duty(session, group_id=group.id, user=world.agents[0], on_duty=False, now=utcnow())
    for _ in range(6):
        world.ticket(group_id=group.id)
    counts = Counter(session.scalars(select(Ticket.assignee_id)))
    assert counts == {a.id: 2 for a in world.agents[1:]}


def test_taking_a_ticket_someone_else_just_took_is_refused(world, session):
    ticket = world.ticket()
    first, second = world.agents[:2]
    with unit_of_work(session):
        tickets.assign(session, tickets.lock_ticket(session, ticket.id), first.id, actor=first, now=utcnow(),
                       expected=None)
    with pytest.raises(Conflict, match="took this ticket"), unit_of_work(session):
        tickets.assign(session, tickets.lock_ticket(session, ticket.id), second.id, actor=second, now=utcnow(),
                       expected=None)
    session.rollback()
    assert session.get(Ticket, ticket.id).assignee_id == first.id


def test_escalation_marks_a_breached_ticket_once_per_deadline(world, session):
    ticket = world.ticket(now=monday_at(9), priority=Priority.P2)  # first response within 1 business hour
    with unit_of_work(session):
        assert escalation.escalate_breached(session, now=monday_at(9, 30)) == []
    with unit_of_work(session):
        assert escalation.escalate_breached(session, now=monday_at(10, 30)) == [ticket.id]
    with unit_of_work(session):
        assert escalation.escalate_breached(session, now=monday_at(11)) == []
    kinds = [e.kind for e in world.events(ticket.id)]
    assert kinds.count(EventKind.ESCALATED) == 1


def test_changed_opening_hours_move_the_deadlines_of_open_tickets(world, session):
    ticket = world.ticket(now=monday_at(15), priority=Priority.P3)  # 4 h from Monday 15:00: Tuesday 11:00
    session.rollback()
    assert session.get(Ticket, ticket.id).first_response_due_at == monday_at(11) + dt.timedelta(days=1)
    with unit_of_work(session):
        settings.save_settings(session, policies={p: (240, 1440, True) for p in Priority},
                               hours={d: (dt.time(8), dt.time(18)) for d in range(5)}, actor=world.coordinator,
                               now=monday_at(15))
        assert escalation.recompute_active(session, now=monday_at(15)) == 1
    session.rollback()
    assert session.get(Ticket, ticket.id).first_response_due_at == monday_at(9) + dt.timedelta(days=1)
    with unit_of_work(session):  # open until midnight on Saturdays: closing at 00:00 is the end of the day
        settings.save_settings(session, policies={}, hours={0: (dt.time(8), dt.time(16)), 5: (dt.time(8), dt.time(0))},
                               actor=world.coordinator, now=monday_at(15))
    assert settings.load_settings(session).calendar.is_open(monday_at(23) + dt.timedelta(days=5))
    with pytest.raises(DomainError, match="open before"), unit_of_work(session):
        settings.save_settings(session, policies={}, hours={0: (dt.time(18), dt.time(8))}, actor=world.coordinator,
                               now=utcnow())


def test_escalating_to_a_swap_pauses_the_ticket_and_the_done_swap_resolves_it(world, session):
    tech, tech_user = world.make_technician(shift=(0, 24 * 60))
    citizen, home, tablet = world.tablet_at_home()
    replacement = world.device()  # ready on the depot's shelf: the swap reserves it for the home
    ticket = world.ticket(citizen_id=citizen.id, device_id=tablet.id, priority=Priority.P2)
    today = local_date(utcnow())
    with unit_of_work(session):
        visit = swaps.escalate_to_swap(session, tickets.lock_ticket(session, ticket.id), actor=world.helpdesk,
                                       now=utcnow(), today=today)
    session.rollback()
    t = session.get(Ticket, ticket.id)
    assert t.status == S.WAITING_THIRD_PARTY and t.sla_due_at == NO_DEADLINE and t.visit_id == visit.id
    assert visit.kind == VisitKind.SWAP and visit.swap_device_id == tablet.id
    assert visit.replacement_device_id == replacement.id
    reserved = session.get(Device, replacement.id)
    assert (reserved.status, reserved.reserved_for_id) == (DeviceStatus.RESERVED, home.id)
    world.scan("load", replacement.tag, world.van)  # on the van-loading list: it is reserved
    with pytest.raises(Conflict, match="already on its way"), unit_of_work(session):
        swaps.escalate_to_swap(session, tickets.lock_ticket(session, ticket.id), actor=world.helpdesk,
                               now=utcnow(), today=today)

    world.publish_to(visit.id, tech)
    with pytest.raises(Conflict, match="Collect the faulty device"), unit_of_work(session):
        visits.complete(session, session.get(Visit, visit.id), actor=tech_user, now=utcnow())
    world.scan("collect", tablet.tag, world.van, actor=tech_user, visit_id=visit.id)
    with pytest.raises(Conflict, match="Deliver the replacement"), unit_of_work(session):
        visits.complete(session, session.get(Visit, visit.id), actor=tech_user, now=utcnow())
    world.scan("handover", replacement.tag, home, actor=tech_user, visit_id=visit.id)
    with unit_of_work(session):
        visits.complete(session, session.get(Visit, visit.id), actor=tech_user, now=utcnow())
    session.rollback()
    t = session.get(Ticket, ticket.id)
    assert t.status == S.RESOLVED and not t.is_active
    done = [e for e in world.events(ticket.id) if e.kind == EventKind.SWAP_DONE]
    assert len(done) == 1 and done[0].data["collected"] == tablet.tag
    assert done[0].data["delivered"] == [replacement.tag] and done[0].data["to_repair"] == tablet.tag
    assert session.get(Device, tablet.id).status == DeviceStatus.FAULTY  # on its way to repair
    assert session.get(Visit, visit.id).status == VisitStatus.DONE


def test_a_cancelled_swap_reopens_the_ticket(world, session):
    citizen, _home, tablet = world.tablet_at_home()
    ticket = world.ticket(citizen_id=citizen.id, device_id=tablet.id)
    with unit_of_work(session):
        visit = swaps.escalate_to_swap(session, tickets.lock_ticket(session, ticket.id), actor=world.helpdesk,
                                       now=utcnow(), today=local_date(utcnow()))
    with unit_of_work(session):
        visits.cancel(session, session.get(Visit, visit.id), actor=world.helpdesk, now=utcnow())
    session.rollback()
    t = session.get(Ticket, ticket.id)
    assert t.status == S.OPEN and t.sla_due_at != NO_DEADLINE
    note = [e for e in world.events(ticket.id) if e.kind == EventKind.NOTE]
    assert [n.data for n in note] == [{"visit": visit.id, "cancelled": True}]


def test_a_swap_needs_a_device_in_a_home(world, session):
    shelf = world.device()
    for device_id, message in ((None, "faulty device"), (shelf.id, "not in a citizen's home")):
        ticket = world.ticket(device_id=device_id)
        with pytest.raises(DomainError, match=message), unit_of_work(session):
            swaps.escalate_to_swap(session, tickets.lock_ticket(session, ticket.id), actor=world.helpdesk,
                                   now=utcnow(), today=local_date(utcnow()))
    assert session.scalar(select(func.count()).select_from(Visit)) == 0


def test_canned_responses_fill_only_their_variables():
    text = "Hej {citizen_name}, vi skifter {device} {visit_time}. {cpr} {__class__}"
    assert canned.render(text, {"citizen_name": "Karen", "device": "D000001X", "visit_time": ""}) == \
        "Hej Karen, vi skifter D000001X —. {cpr} {__class__}"


def test_knowledge_base_suggests_model_and_category_first_and_counts_helpful_once(world, session):
    tablet_model = world.models[DeviceCategory.TABLET].id
    scale_model = world.models[DeviceCategory.SCALE].id
    who = {"actor": world.coordinator, "now": utcnow()}
    texts = {"body_da": "Tekst", "title_en": "Title", "body_en": "Text"}
    with unit_of_work(session):
        both = kb.save_article(session, None, device_model_id=tablet_model, category=Category.DEVICE_FAULT,
                               title_da="Tablet: genstart", **texts, **who)
        model_only = kb.save_article(session, None, device_model_id=tablet_model, category=None,
                                     title_da="Tablet: opladning", **texts, **who)
        category_only = kb.save_article(session, None, device_model_id=None, category=Category.DEVICE_FAULT,
                                        title_da="Fejl generelt", **texts, **who)
        kb.save_article(session, None, device_model_id=scale_model, category=Category.DEVICE_FAULT,
                        title_da="Vægt", **texts, **who)
        kb.save_article(session, None, device_model_id=tablet_model, category=Category.HOW_TO,
                        title_da="Tablet: brug", **texts, **who)
    with unit_of_work(session):
        assert kb.mark_helpful(session, kb.get_article(session, category_only.id), actor=world.helpdesk,
                               now=utcnow())
        assert not kb.mark_helpful(session, kb.get_article(session, category_only.id), actor=world.helpdesk,
                                   now=utcnow())
    found = kb.suggestions(session, device_model_id=tablet_model, category=Category.DEVICE_FAULT)
    assert [a.id for a in found] == [both.id, model_only.id, category_only.id]
    assert session.get(type(both), category_only.id).helpful_count == 1
    with pytest.raises(DomainError, match="both Danish and English"), unit_of_work(session):
        kb.save_article(session, None, device_model_id=None, category=Category.HOW_TO, title_da="x", body_da="y",
                        title_en="", body_en="z", **who)


def test_faults_per_100_device_months_from_tickets_and_the_ledger(world, session):
    start = utcnow() - dt.timedelta(days=1)
    citizen, _home, tablet = world.tablet_at_home()
    world.ticket(citizen_id=citizen.id, device_id=tablet.id)
    world.ticket(citizen_id=citizen.id, device_id=tablet.id, category=Category.HOW_TO)  # not a fault
    end = utcnow() + dt.timedelta(days=29)
    rows = {r.model: r for r in figures.model_figures(session, start=start, end=end)}
    tablet_row = rows[world.models[DeviceCategory.TABLET].name]
    # One tablet at home from (about) now until the end of the period: 29 days = 0.95 device-months.
    assert tablet_row.faults == 1 and tablet_row.swaps == 0
    assert 0.94 <= tablet_row.device_months <= 0.96
    assert tablet_row.faults_per_100 == pytest.approx(100 / tablet_row.device_months, rel=0.01)


def test_the_caller_is_found_by_phone_cpr_or_tag_with_devices_visits_and_tickets(world, session):
    citizen, _home, tablet = world.tablet_at_home(world.citizen_near(4, phone="+45 86 12 34 56"))
    world.ticket(citizen_id=citizen.id, device_id=tablet.id)
    for text in ("86 12 34 56", "+4586123456", citizen.cpr, tablet.tag.lower()):
        with unit_of_work(session):
            found = calls.identify(session, text, actor=world.helpdesk, now=utcnow())
        assert found.citizen is not None and found.citizen.id == citizen.id, text
        assert [d.tag for d in found.devices] == [tablet.tag]
        assert len(found.tickets) == 1
    with pytest.raises(DomainError, match="phone number, a CPR"), unit_of_work(session):
        calls.identify(session, "Karen", actor=world.helpdesk, now=utcnow())
    nurse = world.factory.user(Role.NURSE, organisation=world.factory.organisation(code="999"))
    with unit_of_work(session):
        assert calls.identify(session, "86123456", actor=nurse, now=utcnow()).citizens == []


def test_the_citizen_timeline_shows_the_tickets(world, session):
    from support.history import ticket_entries

    citizen, _home, tablet = world.tablet_at_home()
    ticket = world.ticket(citizen_id=citizen.id, device_id=tablet.id)
    with unit_of_work(session):
        tickets.change_status(session, tickets.lock_ticket(session, ticket.id), S.RESOLVED, actor=world.helpdesk,
                              now=utcnow())
    entries = ticket_entries(session, citizen.id, before=None, limit=10, categories={"ticket"})
    assert [e.message for e in entries] == ["Ticket #%(id)s: %(status)s", "Ticket #%(id)s (%(category)s) opened"]
    assert entries[1].note == "Tabletten starter ikke"
    older = ticket_entries(session, citizen.id, before=entries[0].cursor(), limit=10, categories={"ticket"})
    assert [e.key for e in older] == [entries[1].key]  # paging by the cursor, as the timeline does


def test_ticket_events_are_append_only(world, session):
    ticket = world.ticket()
    event_id = world.events(ticket.id)[0].id
    session.rollback()
    with pytest.raises(Exception, match="append-only"), session.begin():
        session.execute(TicketEvent.__table__.update().where(TicketEvent.id == event_id).values(body="changed"))


def test_a_swapped_kit_member_is_replaced_in_the_kit(world, session):
    from inventory.models import Kit

    tech, tech_user = world.make_technician(shift=(0, 24 * 60))
    kit, members = world.kit()
    citizen = world.citizen_near(5)
    home = world.home(citizen)
    world.scan("load", kit.tag, world.van)
    world.scan("handover", kit.tag, home, actor=world.technician)
    faulty = next(d for d in members if d.model.category == DeviceCategory.TABLET)
    replacement = world.device()
    ticket = world.ticket(citizen_id=citizen.id, device_id=faulty.id)
    with unit_of_work(session):
        visit = swaps.escalate_to_swap(session, tickets.lock_ticket(session, ticket.id), actor=world.helpdesk,
                                       now=utcnow(), today=local_date(utcnow()))
    world.scan("load", replacement.tag, world.van)
    world.publish_to(visit.id, tech)
    world.scan("collect", faulty.tag, world.van, actor=tech_user, visit_id=visit.id)
    world.scan("handover", replacement.tag, home, actor=tech_user, visit_id=visit.id)
    with unit_of_work(session):
        visits.complete(session, session.get(Visit, visit.id), actor=tech_user, now=utcnow())
    session.rollback()
    in_kit = set(session.scalars(select(Device.tag).where(Device.kit_id == kit.id)))
    assert in_kit == {d.tag for d in members if d.id != faulty.id} | {replacement.tag}
    assert session.get(Device, faulty.id).kit_id is None
    assert session.get(Kit, kit.id) is not None
