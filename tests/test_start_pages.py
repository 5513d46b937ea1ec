"""Issue 13: every role's start page is its work, with live counts that agree with the database, reached in a
fixed number of statements whatever the data size."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from dispatch.models import Visit, VisitKind, VisitStatus
from inventory.models import Device, DeviceStatus
from servicecenter.auth.models import User
from servicecenter.citizens.models import Citizen
from servicecenter.citizens.service import visible_to
from servicecenter.courses.models import Course, CourseStatus, Handover, HandoverStatus
from servicecenter.db import LOCAL_ZONE, local_date, utcnow
from servicecenter.demo import demo_logins
from servicecenter.training.models import TrainingRecord
from support.models import Ticket
from tests.conftest import make_test_app, with_demo

LOGINS = {username: password for username, password, _role in demo_logins()}


@pytest.fixture
def demo_app(database_url):
    app = with_demo(make_test_app(database_url), 30)
    yield app
    app.extensions["database"].engine.dispose()


@contextmanager
def counting(engine):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def start_page(app, username: str) -> tuple[str, list[str]]:
    client = app.test_client()
    assert client.login(username, LOGINS[username]).status_code == 302
    with counting(app.extensions["database"].engine) as statements:
        page = client.get("/")
    assert page.status_code == 200
    return page.get_data(as_text=True), statements


def shown_counts(html: str) -> dict[str, int]:
    """Each count line: its id and the number in its badge."""
    line = r'id="(start-[\w-]+)"[^>]*>(?:(?!id="start-).)*?data-count="(\d+)"'
    return {m[1]: int(m[2]) for m in re.finditer(line, html, re.S)}


def capped(n: int) -> int:
    return min(n, 100)


def _count(s, entity, *conditions) -> int:
    return s.scalar(select(func.count()).select_from(entity).where(*conditions))


def test_each_role_sees_its_work_with_counts_that_agree_with_the_database(demo_app):
    s = demo_app.extensions["database"].factory()
    now = utcnow()
    users = {u.username: u for u in s.scalars(select(User))}
    # Work for every count to show: a device back from a home, one in cleaning, a handover offer to the helpdesk's
    # organisation... the demo has some; the rest are made here through the data the panels read.
    html, _ = start_page(demo_app, "helpdesk")
    helpdesk = users["helpdesk"]
    shown = shown_counts(html)
    active = Ticket.is_active.is_(True)
    assert shown["start-tickets-mine"] == capped(_count(s, Ticket, Ticket.assignee_id == helpdesk.id, active))
    assert shown["start-tickets-unassigned"] == capped(_count(s, Ticket, Ticket.assignee_id.is_(None), active))
    assert shown["start-tickets-breached"] == capped(_count(s, Ticket, active, Ticket.sla_due_at <= now))
    assert shown["start-visits-to-book"] == capped(_count(
        s, Visit, Visit.status.in_([VisitStatus.REQUESTED, VisitStatus.REQUEUED])))
    assert shown["start-handovers-waiting"] == _count(
        s, Handover, Handover.to_organisation_id == helpdesk.organisation_id, Handover.status == HandoverStatus.OFFERED)
    assert 'id="q"' in html and "autofocus" in html.split('id="q"')[1].split(">")[0]  # the caller field
    assert shown["start-visits-to-book"] > 0 and shown["start-tickets-mine"] > 0  # the demo has work to show

    # Devices at each warehouse step (the demo's are all ready or out): their state as the ledger would leave it.
    s.rollback()
    ready = list(s.scalars(select(Device).where(Device.status == DeviceStatus.READY, Device.kit_id.is_(None))
                           .order_by(Device.id).limit(6)))
    assert len(ready) == 6
    for device, status in zip(ready, [DeviceStatus.RETURNED] * 3 + [DeviceStatus.TESTING] * 2 + [DeviceStatus.FAULTY],
                              strict=True):
        device.status = status
    s.commit()
    html, _ = start_page(demo_app, "lager")
    shown = shown_counts(html)
    for key, status in (("start-received", DeviceStatus.RECEIVED), ("start-returned", DeviceStatus.RETURNED),
                        ("start-cleaning", DeviceStatus.CLEANING), ("start-testing", DeviceStatus.TESTING),
                        ("start-faulty", DeviceStatus.FAULTY)):
        assert shown[key] == capped(_count(s, Device, Device.status == status)), key
    assert (shown["start-returned"], shown["start-testing"], shown["start-faulty"]) >= (3, 2, 1)
    today = local_date(now)
    booked = (Visit.kind == VisitKind.SETUP, Visit.status == VisitStatus.SCHEDULED, Visit.scheduled_on >= today,
              Visit.scheduled_on <= today + dt.timedelta(days=7))
    assert shown["start-kits-to-pack"] == _count(s, Visit, *booked, Visit.kit_id.is_(None))
    assert shown["start-kits-reserved"] == _count(s, Visit, *booked, Visit.kit_id.is_not(None))
    assert shown["start-kits-to-pack"] + shown["start-kits-reserved"] > 0

    html, _ = start_page(demo_app, "koordinator")
    shown = shown_counts(html)
    cutoff = dt.datetime.combine(today - dt.timedelta(days=14), dt.time(), LOCAL_ZONE)
    assert shown["start-overdue-pickups"] == _count(s, Course, Course.status == CourseStatus.ENDING,
                                                     Course.ended_at < cutoff)
    first = s.scalar(select(func.min(Visit.scheduled_on)).where(Visit.scheduled_on >= today,
                                                                Visit.status == VisitStatus.SCHEDULED))
    plan = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('id="start-plan"')[1].split("</p>")[0]))
    on_first = _count(s, Visit, Visit.scheduled_on == first, Visit.status == VisitStatus.SCHEDULED)
    assert first is not None and f"{on_first} " in plan
    assert 'id="start-low-stock"' in html

    nurse = users["sygeplejerske"]
    html, _ = start_page(demo_app, "sygeplejerske")
    s.rollback()
    visible = select(Citizen.id).where(visible_to(s, nurse, now))
    org_users = select(User.id).where(User.organisation_id == nurse.organisation_id)
    requests = _count(s, Visit, Visit.requested_by_id.in_(org_users), Visit.citizen_id.in_(visible),
                      Visit.status.in_([VisitStatus.REQUESTED, VisitStatus.REQUEUED, VisitStatus.SCHEDULED,
                                        VisitStatus.IN_PROGRESS]))
    assert f'data-count="{requests}" title=' in html and requests > 0
    listed = re.findall(r'href="/citizens/(\d+)"', html.split('id="start-requests"')[1].split("</ul>")[0])
    assert listed and len(listed) <= 5
    due = _count(s, TrainingRecord, TrainingRecord.follow_up_held_at.is_(None),
                 TrainingRecord.follow_up_due_on <= today + dt.timedelta(days=7),
                 TrainingRecord.course_id.in_(select(Course.id).where(Course.end_reason.is_(None),
                                                                     Course.citizen_id.in_(visible))))
    assert f'data-count="{due}"' in html.split('id="panel-follow_ups-title"')[1][:400]

    html, _ = start_page(demo_app, "tekniker")
    assert 'id="start-load-van"' in html and 'id="start-route-sheet"' in html
    s.close()


@pytest.mark.parametrize("username", ["helpdesk", "koordinator", "lager", "sygeplejerske", "tekniker", "admin"])
def test_a_start_page_costs_the_same_statements_whatever_the_data_size(sqlite_template, tmp_path, username):
    """The same statements at 30 and at 90 citizens (three times the tickets, visits, devices)."""
    import shutil

    sizes = {}
    for citizens in (30, 90):
        path = tmp_path / f"{citizens}.db"
        shutil.copy(sqlite_template, path)
        app = with_demo(make_test_app(f"sqlite:///{path}"), citizens)
        _html, statements = start_page(app, username)
        sizes[citizens] = len(statements)
        app.extensions["database"].engine.dispose()
    assert sizes[30] == sizes[90], sizes
