"""A support world: the dispatch world plus helpdesk agents in a group and a citizen with a tablet at home."""

from __future__ import annotations

import datetime as dt

from dispatch.models import Visit
from dispatch.service import planning, visits
from servicecenter.auth.models import Role
from servicecenter.db import local_date, unit_of_work, utcnow
from support.models import Category, TicketEvent
from support.service import tickets
from tests.dispatch.helpers import DispatchWorld


class SupportWorld(DispatchWorld):
    def __init__(self, session, factory):
        super().__init__(session, factory)
        self.agents = [self.helpdesk] + [factory.user(Role.HELPDESK) for _ in range(3)]

    def group(self, *, round_robin=False, name="1. linje", on_duty=None):
        with unit_of_work(self.s):
            group = tickets.save_group(self.s, None, name=name, round_robin=round_robin,
                                       member_ids=[a.id for a in self.agents], actor=self.coordinator, now=utcnow())
            for agent in on_duty if on_duty is not None else self.agents:
                tickets.set_on_duty(self.s, group_id=group.id, user=agent, on_duty=True, now=utcnow())
        return group

    def tablet_at_home(self, citizen=None):
        """A citizen with a course and a tablet delivered into the home."""
        citizen = citizen or self.citizen_near()
        home = self.home(citizen)
        tablet = self.device()
        self.scan("load", tablet.tag, self.van)
        self.scan("handover", tablet.tag, home, actor=self.technician)
        return citizen, home, tablet

    def ticket(self, *, now=None, actor=None, **data):
        values = {"subject": "Tabletten starter ikke", "category": Category.DEVICE_FAULT, **data}
        with unit_of_work(self.s):
            return tickets.create_ticket(self.s, tickets.TicketData(**values), actor=actor or self.helpdesk,
                                         now=now or utcnow())

    def publish_to(self, visit_id: int, technician):
        """Book the visit today and put it on the technician's published route."""
        day = local_date(utcnow())
        with unit_of_work(self.s):
            visits.book(self.s, self.s.get(Visit, visit_id), day=day, window=(0, 24 * 60), actor=self.helpdesk,
                        now=utcnow(), today=day)
            planning.assign(self.s, self.s.get(Visit, visit_id), technician_id=technician.id, start=0,
                            actor=self.helpdesk, now=utcnow(), confirmation=lambda _v: ("", []))

    def events(self, ticket_id):
        from sqlalchemy import select

        return list(self.s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                                   .order_by(TicketEvent.id)))


def monday_at(hour: int, minute: int = 0) -> dt.datetime:
    """A Monday without holidays (2026-11-23) at a Copenhagen wall time, as UTC."""
    from zoneinfo import ZoneInfo

    return dt.datetime(2026, 11, 23, hour, minute, tzinfo=ZoneInfo("Europe/Copenhagen")).astimezone(dt.UTC)
