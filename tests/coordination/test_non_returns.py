"""Devices that do not come back: a course ended with its kit still in the home goes through every stage with a
moving clock (reminder, second reminder, escalation, proposed write-off, approval: the devices lost in the ledger),
each on its working day; a device scanned back in closes the case in the same transaction; the pages and their
permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from coordination.models import NonReturnCase, NonReturnEvent, NonReturnEventKind, NonReturnStage
from coordination.service import non_returns
from inventory.models import Device, DeviceStatus, Movement, MovementKind
from inventory.service.verify import verify_ledger
from servicecenter.auth.models import Role
from servicecenter.citizens.models import ContactKind
from servicecenter.citizens.service import ContactData, add_contact
from servicecenter.courses.models import Course, CourseStatus, EndReason
from servicecenter.courses.service import end_course
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.errors import Conflict, DomainError
from servicecenter.outbox.models import MessageStatus, OutboxMessage
from servicecenter.workdays import add_working_days, danish_days_off
from support.models import Ticket
from tests.inventory.helpers import World

CONFIG = {"NON_RETURN_WORKING_DAYS": {"first_reminder": 5, "second_reminder": 5, "escalate": 5,
                                     "propose_write_off": 10}, "SERVICE_CENTER_PHONE": "70 20 30 40"}


def test_working_days_skip_weekends_and_danish_holidays():
    assert add_working_days(dt.date(2026, 12, 4), 1) == dt.date(2026, 12, 7)  # Friday -> Monday
    assert add_working_days(dt.date(2026, 12, 23), 1) == dt.date(2026, 12, 28)  # Christmas Eve and Day, Boxing Day
    assert add_working_days(dt.date(2026, 12, 5), 0) == dt.date(2026, 12, 7)  # a Saturday: the next working day
    assert add_working_days(dt.date(2026, 4, 1), 1) == dt.date(2026, 4, 7)  # Maundy Thursday to Easter Monday


@pytest.fixture
def ended(session, factory):
    """A course set up with a three-device kit, then ended by the helpdesk with the devices still in the home."""
    world = World(session, factory)
    citizen = factory.citizen(mobile="40112233")
    home, members = world.set_up_home(citizen)
    helpdesk = factory.user(Role.HELPDESK)
    with unit_of_work(session):
        course = session.get(Course, home.course_id)
        end_course(session, course, reason=EndReason.COMPLETED, exclusion_reason=None, actor=helpdesk, now=utcnow())
    session.expire_all()
    assert session.get(Course, home.course_id).status == CourseStatus.ENDING
    return world, home, members, citizen


def _run(session, at: dt.datetime) -> dict:
    with unit_of_work(session):
        return non_returns.run(session, now=at, config=CONFIG)


def _case(session, course_id):
    session.rollback()  # a new read transaction: what the app committed since
    return session.scalar(select(NonReturnCase).where(NonReturnCase.course_id == course_id))


def _days(start: dt.date, count: int):
    """Each day from `start`, at 09:00 UTC (10:00 or 11:00 in Copenhagen)."""
    for k in range(count):
        day = start + dt.timedelta(days=k)
        yield day, dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)


def test_every_stage_on_its_working_day_with_a_moving_clock(session, factory, ended):
    world, home, members, citizen = ended
    course = session.get(Course, home.course_id)
    end_day = local_date(course.ended_at)
    first = add_working_days(end_day, 5)
    second = add_working_days(first, 5)
    escalation = add_working_days(second, 5)
    proposal = add_working_days(escalation, 10)
    days_off = danish_days_off(end_day.year, end_day.year + 1)

    seen: dict[dt.date, NonReturnStage | None] = {}
    for day, at in _days(end_day, (proposal - end_day).days + 3):
        counts = _run(session, at)
        case = _case(session, course.id)
        seen[day] = case.stage if case else None
        if day.weekday() >= 5 or day in days_off:
            assert counts == {"opened": 0, "advanced": 0, "returned": 0}, day  # nothing happens on a day off
        assert _run(session, at + dt.timedelta(hours=2)) == {"opened": 0, "advanced": 0, "returned": 0}  # twice

    def stage_on(day):
        return seen[day]

    assert stage_on(first - dt.timedelta(days=1)) is None
    assert stage_on(first) == NonReturnStage.REMINDED
    assert stage_on(second - dt.timedelta(days=1)) == NonReturnStage.REMINDED
    assert stage_on(second) == NonReturnStage.REMINDED_AGAIN
    assert stage_on(escalation) == NonReturnStage.ESCALATED
    assert stage_on(proposal - dt.timedelta(days=1)) == NonReturnStage.ESCALATED
    assert stage_on(proposal) == NonReturnStage.WRITE_OFF_PROPOSED
    case = _case(session, course.id)
    assert case.next_step_on is None  # a coordinator decides now

    # Two reminders by SMS, to her mobile, once each, naming the devices
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "non_return.reminder")
                               .order_by(OutboxMessage.id)).all()
    assert [m.recipient for m in messages] == ["40112233", "40112233"]
    assert all(d.tag in messages[0].body for d in members) and "70 20 30 40" in messages[0].body
    kinds = [e.kind for e in non_returns.history(session, case.id)]
    assert kinds == [NonReturnEventKind.OPENED, NonReturnEventKind.REMINDER, NonReturnEventKind.REMINDER,
                     NonReturnEventKind.ESCALATED, NonReturnEventKind.WRITE_OFF_PROPOSED]
    assert [local_date(e.at) for e in non_returns.history(session, case.id)] == [first, first, second, escalation,
                                                                                 proposal]

    # A coordinator approves: the devices become lost in the ledger, the course ends, the case closes
    coordinator = factory.user(Role.COORDINATOR)
    approved_at = dt.datetime.combine(proposal + dt.timedelta(days=1), dt.time(10), tzinfo=dt.UTC)
    with unit_of_work(session):
        tags = non_returns.approve_write_off(session, case, actor=coordinator, now=approved_at,
                                             note="The citizen has moved abroad.", expected_version=case.version)
    assert sorted(tags) == sorted(d.tag for d in members)
    session.expire_all()
    assert {session.get(Device, d.id).status for d in members} == {DeviceStatus.LOST}
    assert session.scalar(select(func.count()).select_from(Movement).where(
        Movement.kind == MovementKind.LOSE, Movement.device_id.in_([d.id for d in members]))) == 3
    assert session.get(Course, course.id).status == CourseStatus.ENDED
    case = _case(session, course.id)
    assert case.stage == NonReturnStage.WRITTEN_OFF and case.closed_at == approved_at
    assert non_returns.history(session, case.id)[-1].kind == NonReturnEventKind.WRITTEN_OFF  # not "returned"
    assert verify_ledger(session) == [] and non_returns.disagreements(session) == []
    for _later, at in _days(proposal + dt.timedelta(days=2), 5):  # the job leaves a closed case alone
        assert _run(session, at)["advanced"] == 0


def test_a_device_scanned_back_in_mid_way_closes_the_case_in_the_same_transaction(session, factory, ended):
    world, home, members, _citizen = ended
    course = session.get(Course, home.course_id)
    first = add_working_days(local_date(course.ended_at), 5)
    at = dt.datetime.combine(first, dt.time(9), tzinfo=dt.UTC)
    _run(session, at)
    assert _case(session, course.id).stage == NonReturnStage.REMINDED
    world.scan("collect", members[0].tag, world.depot, now=at + dt.timedelta(hours=1), note="brought in")
    case = _case(session, course.id)
    assert case.stage == NonReturnStage.REMINDED  # two devices are still out
    assert non_returns.disagreements(session) == []
    for device in members[1:]:
        world.scan("collect", device.tag, world.depot, now=at + dt.timedelta(hours=2), note="brought in")
    case = _case(session, course.id)
    assert case.stage == NonReturnStage.RETURNED and case.closed_at is not None
    assert session.get(Course, course.id).status == CourseStatus.ENDED
    assert non_returns.history(session, case.id)[-1].kind == NonReturnEventKind.RETURNED
    assert non_returns.disagreements(session) == []
    assert _run(session, dt.datetime.combine(add_working_days(first, 5), dt.time(9), tzinfo=dt.UTC)) == {
        "opened": 0, "advanced": 0, "returned": 0}  # no second reminder for devices that came back


def test_without_a_mobile_number_the_helpdesk_is_asked_to_call(session, factory):
    world = World(session, factory)
    citizen = factory.citizen()  # a landline only
    home, _members = world.set_up_home(citizen)
    with unit_of_work(session):
        end_course(session, session.get(Course, home.course_id), reason=EndReason.DECLINED, exclusion_reason=None,
                   actor=factory.user(Role.HELPDESK), now=utcnow())
    first = add_working_days(local_date(utcnow()), 5)
    _run(session, dt.datetime.combine(first, dt.time(9), tzinfo=dt.UTC))
    case = _case(session, home.course_id)
    event = non_returns.history(session, case.id)[-1]
    assert event.kind == NonReturnEventKind.CALL_TASK and event.ticket_id is not None
    ticket = session.get(Ticket, event.ticket_id)
    assert ticket.citizen_id == citizen.id
    assert session.scalar(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.purpose == "non_return.reminder")) == 0


def test_the_write_off_takes_two_coordinators_and_a_rejection_waits_another_round(session, factory, ended):
    _world, home, _members, _citizen = ended
    first = add_working_days(local_date(utcnow()), 5)
    at = dt.datetime.combine(first, dt.time(9), tzinfo=dt.UTC)
    _run(session, at)
    case = _case(session, home.course_id)
    one, two = factory.user(Role.COORDINATOR), factory.user(Role.COORDINATOR)
    with pytest.raises(DomainError), unit_of_work(session):  # a reason is needed
        non_returns.propose_write_off(session, case, actor=one, now=at, note=" ", expected_version=case.version)
    case = _case(session, home.course_id)
    with unit_of_work(session):
        non_returns.propose_write_off(session, case, actor=one, now=at, note="Citizen says the kit was stolen.",
                                      expected_version=case.version)
    case = _case(session, home.course_id)
    with pytest.raises(Conflict), unit_of_work(session):  # not the one who proposed it
        non_returns.approve_write_off(session, case, actor=one, now=at, note="", expected_version=case.version)
    case = _case(session, home.course_id)
    with pytest.raises(Conflict), unit_of_work(session):  # a stale page
        non_returns.approve_write_off(session, case, actor=two, now=at, note="", expected_version=case.version - 1)
    case = _case(session, home.course_id)
    with unit_of_work(session):
        non_returns.reject_write_off(session, case, actor=two, now=at, note="Found a relative; try once more.",
                                     expected_version=case.version, stages=non_returns.Stages(**CONFIG[
                                         "NON_RETURN_WORKING_DAYS"]))
    case = _case(session, home.course_id)
    assert case.stage == NonReturnStage.ESCALATED and case.next_step_on == add_working_days(first, 10)
    assert session.get(Device, _members[0].id).status == DeviceStatus.AT_CITIZEN


def test_the_pages_show_the_case_to_coordinator_and_helpdesk_only(client, session, factory, ended):
    world, home, members, citizen = ended
    first = add_working_days(local_date(utcnow()), 5)
    _run(session, dt.datetime.combine(first, dt.time(9), tzinfo=dt.UTC))
    case = _case(session, home.course_id)
    coordinator = factory.user(Role.COORDINATOR)
    client.login(coordinator.username)
    listing = client.get("/coordination/non-returns/").get_data(as_text=True)
    assert f"/coordination/non-returns/{case.id}" in listing and citizen.last_name in listing
    page = client.get(f"/coordination/non-returns/{case.id}").get_data(as_text=True)
    assert members[0].tag in page and "Propose" in page or "Foreslå" in page
    response = client.post(f"/coordination/non-returns/{case.id}/propose",
                           data={"version": case.version, "note": "Gone."})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.endswith(f"/coordination/non-returns/{case.id}"), response.location
    assert _case(session, home.course_id).stage == NonReturnStage.WRITE_OFF_PROPOSED
    device_page = client.get(f"/inventory/devices/{members[0].tag}").get_data(as_text=True)
    assert f"/coordination/non-returns/{case.id}" in device_page
    timeline = client.get(f"/citizens/{citizen.id}/timeline").get_data(as_text=True)
    assert f"/coordination/non-returns/{case.id}" in timeline
    def as_role(role):
        other = client.application.test_client()
        other.login(factory.user(role).username)
        return other

    for role in (Role.WAREHOUSE, Role.TECHNICIAN, Role.NURSE, Role.ADMIN):
        assert as_role(role).get(f"/coordination/non-returns/{case.id}").status_code in (403, 404), role
    helpdesk = as_role(Role.HELPDESK)
    assert helpdesk.get(f"/coordination/non-returns/{case.id}").status_code == 200
    assert helpdesk.post(f"/coordination/non-returns/{case.id}/approve",
                         data={"version": case.version + 1}).status_code == 403
    assert session.scalar(select(func.count()).select_from(NonReturnEvent)
                          .where(NonReturnEvent.case_id == case.id)) == 3


def _first_reminder(session, home) -> tuple[dt.date, dt.datetime]:
    first = add_working_days(local_date(session.get(Course, home.course_id).ended_at), 5)
    at = dt.datetime.combine(first, dt.time(9), tzinfo=dt.UTC)
    _run(session, at)
    return first, at


STAGES = non_returns.Stages(**CONFIG["NON_RETURN_WORKING_DAYS"])


def test_escalated_now_the_reminders_left_are_skipped(session, factory, ended):
    _world, home, _members, _citizen = ended
    first, at = _first_reminder(session, home)
    case = _case(session, home.course_id)
    helpdesk = factory.user(Role.HELPDESK)
    with unit_of_work(session):  # the helpdesk could not reach her
        non_returns.escalate_now(session, case, actor=helpdesk, now=at, note="No answer three times.",
                                 expected_version=case.version, stages=STAGES)
    case = _case(session, home.course_id)
    assert case.stage == NonReturnStage.ESCALATED and case.next_step_on == add_working_days(first, 10)
    with pytest.raises(Conflict), unit_of_work(session):  # escalated once
        non_returns.escalate_now(session, case, actor=helpdesk, now=at, note="", expected_version=case.version,
                                 stages=STAGES)
    second = dt.datetime.combine(add_working_days(first, 5), dt.time(9), tzinfo=dt.UTC)
    assert _run(session, second)["advanced"] == 0  # no second reminder
    assert session.scalar(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.purpose == "non_return.reminder")) == 1
    last = non_returns.history(session, case.id)[-1]
    assert last.kind == NonReturnEventKind.ESCALATED and last.actor_id == helpdesk.id


def test_found_withdraws_a_proposed_write_off_and_the_ledger_still_closes_the_case(session, factory, ended):
    world, home, members, _citizen = ended
    first, at = _first_reminder(session, home)
    case = _case(session, home.course_id)
    one, two = factory.user(Role.COORDINATOR), factory.user(Role.HELPDESK)
    with unit_of_work(session):
        non_returns.propose_write_off(session, case, actor=one, now=at, note="No contact.",
                                      expected_version=case.version)
    case = _case(session, home.course_id)
    with pytest.raises(DomainError), unit_of_work(session):  # found where? a reason is needed
        non_returns.mark_found(session, case, actor=two, now=at, note="", expected_version=case.version,
                               stages=STAGES)
    case = _case(session, home.course_id)
    with unit_of_work(session):
        non_returns.mark_found(session, case, actor=two, now=at, note="Her son found the box in the basement.",
                               expected_version=case.version, stages=STAGES)
    case = _case(session, home.course_id)
    assert case.stage == NonReturnStage.ESCALATED and case.proposed_by_id is None  # nothing to approve any more
    assert case.next_step_on == add_working_days(first, 5) and case.closed_at is None  # open until scanned in
    assert {session.get(Device, d.id).status for d in members} == {DeviceStatus.AT_CITIZEN}
    assert non_returns.disagreements(session) == []
    for device in members:
        world.scan("collect", device.tag, world.depot, now=at + dt.timedelta(hours=3), note="picked up")
    case = _case(session, home.course_id)
    assert case.stage == NonReturnStage.RETURNED
    assert [e.kind for e in non_returns.history(session, case.id)][-2:] == [NonReturnEventKind.FOUND,
                                                                           NonReturnEventKind.RETURNED]


def test_a_reminder_not_yet_sent_is_withdrawn_when_the_devices_come_back(session, factory, ended):
    world, home, members, _citizen = ended
    _first, at = _first_reminder(session, home)
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.purpose == "non_return.reminder"))
    assert message.status == MessageStatus.QUEUED
    for device in members:
        world.scan("collect", device.tag, world.depot, now=at + dt.timedelta(minutes=10), note="brought in")
    session.rollback()
    assert session.get(OutboxMessage, message.id).status == MessageStatus.WITHDRAWN


def test_without_her_mobile_the_relative_she_allows_us_to_contact_gets_the_text(session, factory):
    world = World(session, factory)
    citizen = factory.citizen()
    helpdesk = factory.user(Role.HELPDESK)
    with unit_of_work(session):
        add_contact(session, citizen, ContactData(kind=ContactKind.RELATIVE, name="Ole", relation="son",
                                                  phone="51 22 33 44", may_contact=True), actor=helpdesk, now=utcnow())
    home, _members = world.set_up_home(citizen)
    with unit_of_work(session):
        end_course(session, session.get(Course, home.course_id), reason=EndReason.COMPLETED, exclusion_reason=None,
                   actor=helpdesk, now=utcnow())
    _first_reminder(session, home)
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.purpose == "non_return.reminder"))
    assert message.recipient == "51 22 33 44"
    assert "kontaktperson" in message.body  # in her language (Danish), addressed to the relative
    assert citizen.last_name not in message.body and citizen.cpr not in message.body


def test_the_list_says_how_overdue_and_filters_by_why(session, factory, ended):
    _world, home, _members, _citizen = ended
    first, at = _first_reminder(session, home)
    coordinator = factory.user(Role.COORDINATOR)
    later = at + dt.timedelta(days=3)

    def listed(trigger):
        rows, _more, _total = non_returns.list_cases(session, actor=coordinator, now=later, stage=None,
                                                     trigger=trigger, page=1, per_page=50)
        return rows

    row = next(r for r in listed(None) if r.case.course_id == home.course_id)
    assert row.days_overdue == (local_date(later) - local_date(session.get(Course, home.course_id).ended_at)).days
    assert row.devices_out == 3
    assert home.course_id in [r.case.course_id for r in listed("course_ended")]
    assert home.course_id not in [r.case.course_id for r in listed("pickup_failed")]


def test_escalate_and_found_are_for_the_helpdesk_and_coordinators_with_a_reason_and_csrf(client, session, factory,
                                                                                          ended):
    _world, home, _members, _citizen = ended
    _first_reminder(session, home)
    case = _case(session, home.course_id)
    warehouse = client.application.test_client()
    warehouse.login(factory.user(Role.WAREHOUSE).username)
    assert warehouse.post(f"/coordination/non-returns/{case.id}/escalate",
                          data={"version": case.version}).status_code == 403
    client.login(factory.user(Role.HELPDESK).username)
    page = client.get(f"/coordination/non-returns/{case.id}").get_data(as_text=True)
    assert f"/coordination/non-returns/{case.id}/escalate" in page
    assert f"/coordination/non-returns/{case.id}/approve" not in page  # not hers to decide
    assert client.post(f"/coordination/non-returns/{case.id}/found",
                       data={"version": case.version, "note": ""}).status_code == 400  # the reason
    response = client.post(f"/coordination/non-returns/{case.id}/escalate", data={"version": case.version})
    assert response.status_code == 302
    assert _case(session, home.course_id).stage == NonReturnStage.ESCALATED
