"""A citizen with coming visits, technicians with room on the coming working days, and signing in to the portal
as a person would: a code read from the outbox (or, for tests about what a MitID session sees, a session opened
through the service as the MitID callback opens it)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from dispatch.models import Visit, VisitKind
from dispatch.service import visits
from portal.models import Assurance
from portal.service import signin
from servicecenter.auth.models import Role
from servicecenter.db import unit_of_work, utcnow
from servicecenter.outbox.models import OutboxMessage
from servicecenter.workdays import danish_days_off
from tests.dispatch.test_field import Day

NUMBER = "20304050"  # Day.citizen()'s mobile, +45 20 30 40 50


def working_day(after: dt.date, days: int) -> dt.date:
    """The first working day at least `days` after `after`."""
    day = after + dt.timedelta(days=days)
    off = danish_days_off(day.year, day.year + 1)
    while day.weekday() >= 5 or day in off:
        day += dt.timedelta(days=1)
    return day


class Home:
    """Today's dispatch world plus Bob, on duty every day (so the coming days have room), and a citizen with a
    setup visit booked today and a service visit booked on a working day at least three days ahead."""

    def __init__(self, session, factory):
        self.day = Day(session, factory)
        self.s = session
        bob = factory.user(Role.TECHNICIAN)
        self.day.technician(bob, self.day.world.van2, every_day=True)
        self.day.competent(bob)
        self.setup, self.devices = self.day.setup_visit()
        self.citizen = self.setup.citizen
        self.later = working_day(self.day.today, 3)
        with unit_of_work(session):
            service = visits.create_visit(session, self.setup.course, VisitKind.SERVICE, visits.VisitRequest(
                earliest_on=self.day.today, latest_on=self.later + dt.timedelta(days=14)),
                actor=self.day.helpdesk, now=utcnow(), today=self.day.today)
            visits.book(session, service, day=self.later, window=(8 * 60, 12 * 60), actor=self.day.helpdesk,
                        now=utcnow(), today=self.day.today)
        self.service = service
        self.helpdesk = self.day.helpdesk

    def visit(self, visit_id: int) -> Visit:
        self.s.rollback()
        return self.s.get(Visit, visit_id)

    def other_citizen_visit(self) -> Visit:
        other = self.day.factory.citizen(latitude=56.1572, longitude=10.2107, mobile="+45 60 70 80 90")
        visit, _members = self.day.setup_visit(other)
        return visit


def last_code(session, number: str = NUMBER) -> str:
    session.rollback()
    body = session.scalars(select(OutboxMessage.body).where(OutboxMessage.purpose == "portal.code",
                                                            OutboxMessage.recipient == number)
                           .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"\b(\d{6})\b", body).group(1)


def sign_in_with_code(client, session, number: str = NUMBER):
    asked = client.post("/portal/code", data={"number": number})
    assert asked.status_code == 302, asked.get_data(as_text=True)
    return client.post("/portal/code/check", data={"code": last_code(session, number)})


def sign_in_substantial(client, session, citizen_id: int, grant_id: int | None = None) -> None:
    """A session at "betydelig", as the MitID callback opens it (the OpenID Connect flow has its own tests)."""
    with unit_of_work(session):
        token, _row = signin.open_session(session, signin.Subject(citizen_id, grant_id),
                                          assurance=Assurance.SUBSTANTIAL, now=utcnow(), how="mitid")
    with client.session_transaction() as cookie:
        cookie["portal"] = token
