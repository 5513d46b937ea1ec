"""The citizen's texts about her visits, through the outbox in the transaction of their cause: the confirmation on
publication, the notice (or receipt) when a booking she was told of changes, the reminder the day before and the
pickup reminder; each once however often its cause repeats, in her language, to her mobile, never to a deceased
citizen or without a number; and the visit page showing what went and how."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dispatch.jobs import JOBS as DISPATCH_JOBS
from dispatch.models import Visit, VisitKind
from dispatch.service import messages, planning, visits
from servicecenter.citizens.models import Citizen
from servicecenter.courses.models import EndReason
from servicecenter.courses.service import end_course, get_course
from servicecenter.db import LOCAL_ZONE, local_date, unit_of_work, utcnow
from servicecenter.outbox.delivery import deliver_due
from servicecenter.outbox.models import MessageStatus, OutboxMessage
from servicecenter.outbox.senders import FileSender
from servicecenter.outbox.service import Policy
from tests.support.helpers import SupportWorld

REMINDERS = {job.name: job for job in DISPATCH_JOBS}["dispatch_visit_reminders"]
CONFIG = {"VISIT_REMINDER_HOURS": (9, 20), "PICKUP_REMINDER_DAYS": 3}


@pytest.fixture
def app(database_url):
    from tests.conftest import make_test_app

    app = make_test_app(database_url, PUBLIC_BASE_URL="https://service.example.dk")
    yield app
    app.extensions["database"].engine.dispose()


@pytest.fixture
def world(session, factory):
    w = SupportWorld(session, factory)
    w.tech, _user = w.make_technician()  # on duty every day, 08-16
    return w


def today() -> dt.date:
    return local_date(utcnow())


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), LOCAL_ZONE).astimezone(dt.UTC)


def text(visit) -> tuple[str, list]:
    return f"Besøg {visit.id}: bekræft her", []


def service_visit(world, *, day: dt.date | None, n: int = 0, **citizen) -> Visit:
    """A service visit (nothing to reserve) for a citizen of her own, booked on the day (or only requested)."""
    citizen.setdefault("mobile", f"4{n:07d}")
    course = world.course_for(world.citizen_near(n, **citizen))
    with unit_of_work(world.s):
        visit = visits.create_visit(world.s, course, VisitKind.SERVICE, visits.VisitRequest(
            earliest_on=today(), latest_on=today() + dt.timedelta(days=14)), actor=world.helpdesk, now=utcnow(),
            today=today())
        if day is not None:
            visits.book(world.s, visit, day=day, window=None, actor=world.helpdesk, now=utcnow(), today=today())
    return visit


def publish(world, visit: Visit, *, start: int = 9 * 60, now: dt.datetime | None = None) -> Visit:
    with unit_of_work(world.s):
        planning.assign(world.s, world.s.get(Visit, visit.id), technician_id=world.tech.id, start=start,
                        actor=world.helpdesk, now=now or utcnow(), confirmation=text)
    return world.s.get(Visit, visit.id)


def texts(session, visit_id: int | None = None, purpose: str | None = None) -> list[OutboxMessage]:
    session.rollback()
    stmt = select(OutboxMessage).where(OutboxMessage.purpose.like("visit.%")).order_by(OutboxMessage.id)
    if visit_id is not None:
        stmt = stmt.where(OutboxMessage.key.like(f"%:{visit_id}:%"))
    if purpose is not None:
        stmt = stmt.where(OutboxMessage.purpose == purpose)
    return list(session.scalars(stmt))


def deliver(app, tmp_path) -> None:
    """The outbox job's delivery, to files: what is queued counts as sent (the citizen has read it). Its clock is two
    days ahead, so a text the job wrote at a time of day still to come today is due whenever the test runs."""
    deliver_due(app.extensions["database"].factory, FileSender(tmp_path / "sms"), policy=Policy(),
                clock=lambda: utcnow() + dt.timedelta(days=2))


def remind(session, now: dt.datetime, config: dict | None = None) -> str:
    with unit_of_work(session):
        return REMINDERS.run(session, now, config or CONFIG)


# --- the confirmation -----------------------------------------------------------------------------------------


def test_publishing_texts_the_confirmation_to_her_mobile_once_per_publication(world, session):
    # Given a visit booked on a day
    visit = service_visit(world, day=today() + dt.timedelta(days=2), mobile="+45 20 11 22 33")
    # When it is assigned by hand (published), and the same publication's text is written again (a retry)
    published = publish(world, visit)
    with unit_of_work(session):
        messages.send_confirmation(session, session.get(Visit, visit.id), now=utcnow())
    # Then one SMS to her mobile with the confirmation text, keyed on the publication its link is bound to
    [sms] = texts(session, visit.id)
    assert (sms.purpose, sms.channel, sms.recipient, sms.status) == ("visit.confirm", "sms", "+45 20 11 22 33",
                                                                    MessageStatus.QUEUED)
    assert sms.body == f"Besøg {visit.id}: bekræft her"
    assert sms.key == messages.confirm_key(visit.id, published.published_at)


def test_a_phone_that_is_a_mobile_number_gets_the_text_and_a_landline_none(world, session):
    on_mobile = service_visit(world, day=today() + dt.timedelta(days=2), n=1, mobile=None, phone="+45 31 22 33 44")
    on_landline = service_visit(world, day=today() + dt.timedelta(days=2), n=2, mobile=None, phone="86 12 34 56")
    publish(world, on_mobile, start=9 * 60)
    publish(world, on_landline, start=11 * 60)
    assert [m.recipient for m in texts(session, on_mobile.id)] == ["+45 31 22 33 44"]
    assert texts(session, on_landline.id) == []
    assert messages.why_no_texts(session, session.get(Visit, on_landline.id)) == "no_number"


@pytest.mark.parametrize(("mobile", "phone", "number"), [
    ("20 30 40 50", "86 12 34 56", "20 30 40 50"), (None, "+45 42 00 00 01", "+45 42 00 00 01"),
    (None, "0045 93 00 00 01", "0045 93 00 00 01"), (None, "86 12 34 56", None), (None, "70 20 30 40", None),
    (None, "+46 70 123 45 67", None), (None, None, None)])
def test_texts_go_to_the_mobile_else_a_phone_number_that_is_a_danish_mobile(mobile, phone, number):
    assert messages.text_number(Citizen(mobile=mobile, phone=phone)) == number


def test_a_republication_withdraws_the_unsent_text_and_sends_the_new_one(world, session):
    # Given a published visit whose confirmation has not gone yet
    visit = service_visit(world, day=today() + dt.timedelta(days=2))
    first = publish(world, visit, start=9 * 60).published_at
    # When it is assigned again at another time (a new publication, a new link)
    second = publish(world, visit, start=8 * 60 + 15).published_at
    # Then the old text, whose link no longer works, is withdrawn; the new one waits to go
    assert [(m.key, m.status) for m in texts(session, visit.id)] == [
        (messages.confirm_key(visit.id, first), MessageStatus.WITHDRAWN),
        (messages.confirm_key(visit.id, second), MessageStatus.QUEUED)]


@pytest.mark.parametrize(("language", "words"), [("da", "besøger dig"), ("en", "visits you on")])
def test_a_confirmation_assigned_by_hand_is_in_her_language_with_the_public_link(world, client, session, language,
                                                                                 words):
    # Given a citizen who reads Danish (or English), and a helpdesk agent whose pages are in the other language
    visit = service_visit(world, day=today() + dt.timedelta(days=2), language=language)
    client.login(world.helpdesk.username)
    client.post("/language", data={"lang": "en" if language == "da" else "da"})
    # When the agent assigns the visit by hand
    response = client.post(f"/dispatch/visits/{visit.id}/assign",
                           data={"assign-technician_id": world.tech.id, "assign-start": "09:00"})
    # Then the text that goes is the citizen's, with the link on the public base URL
    assert response.status_code == 302
    [sms] = texts(session, visit.id)
    assert words in sms.body and "https://service.example.dk/dispatch/c/" in sms.body
    assert sms.body == session.get(Visit, visit.id).confirmation_text


# --- a booking she was told of changes ----------------------------------------------------------------------


def test_moving_a_visit_she_was_told_of_tells_her_once_and_its_republication_confirms_again(world, session, app,
                                                                                             tmp_path):
    # Given a published visit whose confirmation reached her
    first_day, second_day = today() + dt.timedelta(days=2), today() + dt.timedelta(days=4)
    visit = service_visit(world, day=first_day)
    publish(world, visit)
    deliver(app, tmp_path)
    # When the helpdesk books it on another day, then publishes it there
    with unit_of_work(session):
        visits.book(session, session.get(Visit, visit.id), day=second_day, window=(12 * 60, 16 * 60),
                    actor=world.helpdesk, now=utcnow(), today=today())
    republished = publish(world, visit, start=13 * 60)
    # Then she is told it moved (from the day she knew, to the new day and window), and gets the new confirmation
    confirmed, moved, again = texts(session, visit.id)
    assert (confirmed.purpose, confirmed.status) == ("visit.confirm", MessageStatus.SENT)
    assert moved.purpose == "visit.change" and moved.recipient == confirmed.recipient
    assert "flyttet" in moved.body and "12:00" in moved.body and "16:00" in moved.body
    assert str(first_day.day) in moved.body and str(second_day.day) in moved.body
    assert again.key == messages.confirm_key(visit.id, republished.published_at)


def test_a_move_before_the_confirmation_went_withdraws_it_and_tells_her_nothing(world, session):
    visit = service_visit(world, day=today() + dt.timedelta(days=2))
    publish(world, visit)
    with unit_of_work(session):
        visits.book(session, session.get(Visit, visit.id), day=today() + dt.timedelta(days=3), window=None,
                    actor=world.helpdesk, now=utcnow(), today=today())
    [withdrawn] = texts(session, visit.id)
    assert (withdrawn.purpose, withdrawn.status) == ("visit.confirm", MessageStatus.WITHDRAWN)


@pytest.mark.parametrize(("change", "by_citizen", "words"), [
    ("cancel", False, "er aflyst"), ("cancel", True, "som du bad om"),
    ("unbook", False, "kan ikke gennemføres som planlagt"), ("unbook", True, "ingen af de tilbudte tider")])
def test_a_cancelled_or_unbooked_visit_she_was_told_of_is_told_once(world, session, app, tmp_path, change,
                                                                    by_citizen, words):
    visit = service_visit(world, day=today() + dt.timedelta(days=2))
    publish(world, visit)
    deliver(app, tmp_path)
    actor = None if by_citizen else world.helpdesk  # no staff actor: the citizen, by her link or the portal
    with unit_of_work(session):
        v = session.get(Visit, visit.id)
        if change == "cancel":
            visits.cancel(session, v, actor=actor, now=utcnow(), note="")
        else:
            visits.unbook(session, v, actor=actor, now=utcnow(), note="")
    [notice] = texts(session, visit.id, "visit.change")
    assert words in notice.body


def test_the_citizen_moving_it_by_her_link_gets_a_receipt(world, session, app, tmp_path):
    visit = service_visit(world, day=today() + dt.timedelta(days=2))
    publish(world, visit)
    deliver(app, tmp_path)
    later = today() + dt.timedelta(days=5)
    with unit_of_work(session):
        planning.citizen_moved(session, session.get(Visit, visit.id), [later.isoformat(), 8 * 60, 12 * 60],
                               now=utcnow(), today=today())
    [receipt] = texts(session, visit.id, "visit.change")
    assert "som du bad om" in receipt.body and "08:00" in receipt.body and str(later.day) in receipt.body


def test_a_deceased_citizens_course_gets_no_texts(world, session, app, tmp_path):
    # Given a citizen with a tablet at home and a published visit whose confirmation reached her
    citizen, _home, _tablet = world.tablet_at_home(world.citizen_near(3, mobile="20 30 40 50"))
    course = world.s.scalar(select(Visit.course_id).where(Visit.citizen_id == citizen.id))
    with unit_of_work(session):
        visit = visits.create_visit(session, get_course(session, course), VisitKind.SERVICE, visits.VisitRequest(
            earliest_on=today(), latest_on=today() + dt.timedelta(days=14)), actor=world.helpdesk, now=utcnow(),
            today=today())
        visits.book(session, visit, day=today() + dt.timedelta(days=2), window=None, actor=world.helpdesk,
                    now=utcnow(), today=today())
    publish(world, visit)
    deliver(app, tmp_path)
    # When the course ends because she died (its visits cancelled, a pickup made), and the pickup is booked
    with unit_of_work(session):
        end_course(session, get_course(session, course), reason=EndReason.DECEASED, exclusion_reason=None,
                   actor=world.helpdesk, now=utcnow())
    pickup = session.scalar(select(Visit).where(Visit.course_id == course, Visit.kind == VisitKind.PICKUP))
    with unit_of_work(session):
        visits.book(session, pickup, day=today() + dt.timedelta(days=2), window=None, actor=world.helpdesk,
                    now=utcnow(), today=today())
    publish(world, pickup, start=13 * 60)
    remind(session, at(today(), 12))
    remind(session, at(today() + dt.timedelta(days=1), 12))
    # Then nothing more is written to her: no notice that the visit is cancelled, no confirmation, no reminders
    assert [(m.purpose, m.status) for m in texts(session)] == [("visit.confirm", MessageStatus.SENT)]
    assert messages.why_no_texts(session, session.get(Visit, pickup.id)) == "deceased"


# --- the reminders ------------------------------------------------------------------------------------------


def test_the_reminder_job_picks_exactly_tomorrows_published_visits_once(world, session):
    # Given (the job runs on the day after today, so "tomorrow" is the day after that)
    run_day = today() + dt.timedelta(days=1)
    tomorrow = run_day + dt.timedelta(days=1)
    due = publish(world, service_visit(world, day=tomorrow, n=1), start=9 * 60)
    english = publish(world, service_visit(world, day=tomorrow, n=2, language="en"), start=10 * 60)
    unpublished = service_visit(world, day=tomorrow, n=3)
    fresh = publish(world, service_visit(world, day=tomorrow, n=4), start=11 * 60, now=at(run_day, 8))
    no_number = publish(world, service_visit(world, day=tomorrow, n=5, mobile=None, phone=None), start=12 * 60)
    on_run_day = publish(world, service_visit(world, day=run_day, n=6), start=9 * 60)
    later = publish(world, service_visit(world, day=tomorrow + dt.timedelta(days=1), n=7), start=9 * 60)
    cancelled = publish(world, service_visit(world, day=tomorrow, n=8), start=13 * 60)
    with unit_of_work(session):
        visits.cancel(session, session.get(Visit, cancelled.id), actor=world.helpdesk, now=utcnow())
    # When the job runs before the hours texts are sent, then twice at noon and again in the evening
    assert remind(session, at(run_day, 7)) == "outside the hours texts are sent"
    assert remind(session, at(run_day, 12)) == "2 reminders, 0 pickup reminders"
    assert remind(session, at(run_day, 12)) == "0 reminders, 0 pickup reminders"
    assert remind(session, at(run_day, 18)) == "0 reminders, 0 pickup reminders"
    # Then exactly tomorrow's published visits have one reminder each, in the citizen's language; not the one
    # published that morning (its confirmation has just told the time), nor the others
    reminders = texts(session, purpose="visit.remind")
    assert sorted(m.key.split(":")[1] for m in reminders) == sorted([str(due.id), str(english.id)])
    danish, in_english = (next(m for m in reminders if m.key.split(":")[1] == str(v.id)) for v in (due, english))
    assert "i morgen" in danish.body and "08:00" in danish.body and "10:00" in danish.body
    assert "a reminder that we visit you tomorrow" in in_english.body
    assert all(texts(session, v.id, "visit.remind") == []
               for v in (unpublished, fresh, no_number, on_run_day, later, cancelled))


def test_a_reminder_not_yet_sent_when_the_visit_moves_is_withdrawn(world, session):
    run_day = today() + dt.timedelta(days=1)
    visit = publish(world, service_visit(world, day=run_day + dt.timedelta(days=1)))
    remind(session, at(run_day, 12))
    with unit_of_work(session):
        visits.unbook(session, session.get(Visit, visit.id), actor=world.helpdesk, now=utcnow(), note="")
    assert {m.purpose: m.status for m in texts(session, visit.id)} == {
        "visit.confirm": MessageStatus.WITHDRAWN, "visit.remind": MessageStatus.WITHDRAWN}


def ended_with_pickup(world, n: int, *, days: int) -> Visit:
    """A citizen's course ended with a tablet still in her home; its pickup booked in `days` days."""
    citizen, _home, _tablet = world.tablet_at_home(world.citizen_near(n, mobile=f"20 30 40 5{n}"))
    course = world.s.scalar(select(Visit.course_id).where(Visit.citizen_id == citizen.id))
    with unit_of_work(world.s):
        end_course(world.s, get_course(world.s, course), reason=EndReason.COMPLETED, exclusion_reason=None,
                   actor=world.helpdesk, now=utcnow())
    pickup = world.s.scalar(select(Visit).where(Visit.course_id == course, Visit.kind == VisitKind.PICKUP))
    with unit_of_work(world.s):
        visits.book(world.s, pickup, day=today() + dt.timedelta(days=days), window=None, actor=world.helpdesk,
                    now=utcnow(), today=today())
    return pickup


def test_a_pickup_booked_within_three_days_is_reminded_once_with_the_devices_to_have_ready(world, session):
    # Given two ended courses with a tablet still in the home: one pickup booked in two days, the other in five
    near, far = ended_with_pickup(world, 4, days=2), ended_with_pickup(world, 5, days=5)
    # When the job runs today, twice
    assert remind(session, at(today(), 10)) == "0 reminders, 1 pickup reminders"
    assert remind(session, at(today(), 15)) == "0 reminders, 0 pickup reminders"
    # Then the near pickup has one reminder naming the tablet; the far one none yet
    [reminder] = texts(session, purpose="visit.pickup")
    assert reminder.key.split(":")[1] == str(near.id) and reminder.recipient == "20 30 40 54"
    assert "tablet" in reminder.body and "klar" in reminder.body
    assert texts(session, far.id) == []


@pytest.mark.parametrize("went", [True, False])
def test_a_pickup_moved_after_its_reminder_tells_her_if_the_reminder_went_else_withdraws_it(world, session, app,
                                                                                           tmp_path, went):
    pickup = ended_with_pickup(world, 6, days=2)
    remind(session, at(today(), 10))
    if went:
        deliver(app, tmp_path)
    with unit_of_work(session):
        visits.book(session, session.get(Visit, pickup.id), day=today() + dt.timedelta(days=6), window=None,
                    actor=world.helpdesk, now=utcnow(), today=today())
    found = {m.purpose: m.status for m in texts(session, pickup.id)}
    assert found == ({"visit.pickup": MessageStatus.SENT, "visit.change": MessageStatus.QUEUED} if went
                     else {"visit.pickup": MessageStatus.WITHDRAWN})


# --- the visit page ------------------------------------------------------------------------------------------


def test_the_visit_page_shows_each_text_and_how_it_went(world, client, session, app, tmp_path):
    visit = service_visit(world, day=today() + dt.timedelta(days=2))
    publish(world, visit)
    deliver(app, tmp_path)
    with unit_of_work(session):
        visits.book(session, session.get(Visit, visit.id), day=today() + dt.timedelta(days=3), window=None,
                    actor=world.helpdesk, now=utcnow(), today=today())
    silent = service_visit(world, day=today() + dt.timedelta(days=2), n=9, mobile=None, phone="86 12 34 56")
    client.login(world.helpdesk.username)
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/dispatch/visits/{visit.id}").get_data(as_text=True)
    assert 'data-purpose="visit.confirm" data-delivery="sent"' in page and "confirmation" in page
    assert 'data-purpose="visit.change" data-delivery="waiting"' in page and "waiting to be sent" in page
    assert f"Besøg {visit.id}: bekræft her" in page
    other = client.get(f"/dispatch/visits/{silent.id}").get_data(as_text=True)
    assert 'data-why="no_number"' in other and "no mobile number" in other
