"""A hand-made data set whose indicators are known, worked out by hand in the comments (the month under test is
March 2026; the clock is fixed at NOW, never the wall clock).

Municipalities A and B are in cluster X, C in cluster Y; programmes KOL and HF.
- c1 (A): KOL, referred 2 Mar, first setup visit failed 6 Mar (not home), done 9 Mar: included, lead 7 days. Device
  d2 in the depot until 9 Mar 10:00, then in her home. Tickets t1 (P2, 5 h, met) and t5 (opened 30 Mar, recorded
  2 May: back-dated), and t4 merged into t1.
- c2 (A, moved to C on 20 Mar): HF, referred 25 Feb (in A), set up 10 Mar (lead 13 days, in A), active at the
  month's end in C. Ticket t2 on 25 Mar (in C): P1, resolved after 50 h, deadline missed.
- c3 (B): KOL, referred 5 Mar, ended excluded 25 Mar.
- c4 (C): KOL, referred 10 Jan, set up 20 Jan, ended completed 15 Mar; device d1 still in the home: overdue.
- c5 (B): KOL, referred 3 Mar, set up 28 Mar (lead 25 days).
- t3: no citizen, P3, deadline 20 Mar, never resolved: missed.

March: referred 3 (c1, c3, c5); included 3 (c1, c2, c5), excluded 1 (c3): inclusion 75 %; KOL 2 of 3.
Lead times 7, 13, 25: median 13, 90th percentile 25. First setups 3, done 2. Tickets 4 (t1, t2, t3, t5; t4 merged);
active citizens 3 (c1, c2, c5): 133.3 per 100. Resolved t1 (5 h) and t2 (50 h: the 48-hour bucket): median 5,
90th percentile 48. SLA: P1 0 of 1, P2 1 of 1, P3 0 of 1. Overdue pickups 1 (d1). Ended: completed 1, excluded 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dispatch.models import FailureReason, Visit, VisitKind, VisitStatus
from inventory.models import (
    Custody,
    Device,
    DeviceCategory,
    DeviceModel,
    DeviceStatus,
    Holder,
    HolderKind,
    Movement,
    MovementKind,
)
from servicecenter.citizens.models import Citizen, CitizenMunicipality
from servicecenter.courses.models import Course, CourseStatus, EndReason, ExclusionReason, Programme
from servicecenter.db import LOCAL_ZONE, unit_of_work
from servicecenter.organisations.models import Cluster, Organisation, OrganisationKind
from support.models import Category, Channel, Priority, RequesterKind, SupportGroup, Ticket, TicketStatus

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
MARCH = dt.date(2026, 3, 1)
FAR = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A local (Copenhagen) moment in 2026, as stored: UTC."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LOCAL_ZONE).astimezone(dt.UTC)


@dataclass
class World:
    kol: Programme
    hf: Programme
    a: Organisation
    b: Organisation
    c: Organisation
    x: Cluster
    y: Cluster
    citizens: dict[str, Citizen]
    courses: dict[str, Course]
    devices: dict[str, Device]
    d2_home_at: dt.datetime


class Builder:
    def __init__(self, session):
        self.s = session
        self.n = 0

    def add(self, obj):
        self.s.add(obj)
        self.s.flush()
        return obj

    def citizen(self, name: str, homes: list[tuple[dt.datetime, Organisation]]) -> Citizen:
        self.n += 1
        citizen = self.add(Citizen(
            cpr=f"01019{self.n}1234"[:10], first_name=name.title(), last_name="Dataset", address=f"Vej {self.n}",
            postal_code="8000", city="Aarhus", municipality_id=homes[-1][1].id, created_at=homes[0][0],
            updated_at=homes[-1][0], first_name_key=name, last_name_key="dataset", address_key=f"vej {self.n}"))
        for since, municipality in homes:
            self.add(CitizenMunicipality(citizen_id=citizen.id, municipality_id=municipality.id, since=since))
        return citizen

    def course(self, citizen, programme, *, referred, activated=None, ended=None, reason=None, exclusion=None):
        status = (CourseStatus.ENDED if ended else CourseStatus.ACTIVE if activated else CourseStatus.REFERRED)
        return self.add(Course(citizen_id=citizen.id, programme_id=programme.id, status=status, created_at=referred,
                               referred_at=referred, activated_at=activated, ended_at=ended, end_reason=reason,
                               exclusion_reason=exclusion))

    def setup(self, course, *, finished, done=True):
        return self.add(Visit(
            kind=VisitKind.SETUP, status=VisitStatus.DONE if done else VisitStatus.REQUEUED, course_id=course.id,
            citizen_id=course.citizen_id, requested_at=course.referred_at, earliest_on=finished.date(),
            latest_on=finished.date(), started_at=finished, finished_at=finished,
            failure_reason=None if done else FailureReason.NOT_HOME))

    def ticket(self, group, *, citizen=None, opened, priority=Priority.P2, resolved=None, due=None, merged_into=None,
               recorded=None):
        return self.add(Ticket(
            subject="Tablet", requester_kind=RequesterKind.CITIZEN, channel=Channel.PHONE,
            category=Category.DEVICE_FAULT, priority=priority,
            status=TicketStatus.RESOLVED if resolved else TicketStatus.OPEN, group_id=group.id,
            citizen_id=citizen.id if citizen else None, opened_at=opened, created_at=recorded or opened,
            updated_at=recorded or opened, is_active=resolved is None and merged_into is None,
            resolution_due_at=due, resolved_at=resolved, merged_into_id=merged_into.id if merged_into else None,
            sla_due_at=due or FAR, sla_warn_at=due or FAR))

    def device(self, model, owner, tag, stays: list[tuple[dt.datetime, Holder, Citizen | None]]) -> Device:
        last_holder = stays[-1][1]
        device = self.add(Device(tag=tag, serial=f"S-{tag}", model_id=model.id, owner_organisation_id=owner.id,
                                 status=DeviceStatus.AT_CITIZEN if stays[-1][2] else DeviceStatus.READY,
                                 holder_id=last_holder.id, created_at=stays[0][0], last_moved_at=stays[-1][0]))
        for i, (since, holder, citizen) in enumerate(stays):
            until = stays[i + 1][0] if i + 1 < len(stays) else None
            move = self.add(Movement(device_id=device.id, kind=MovementKind.HANDOVER if citizen else
                                     MovementKind.ACCEPT, to_holder_id=holder.id,
                                     to_status=DeviceStatus.AT_CITIZEN if citizen else DeviceStatus.READY,
                                     occurred_at=since, recorded_at=since))
            self.add(Custody(device_id=device.id, holder_id=holder.id, citizen_id=citizen.id if citizen else None,
                             started_at=since, ended_at=until, movement_id=move.id))
        return device


def build(session) -> World:
    b_ = Builder(session)
    with unit_of_work(session):
        x = b_.add(Cluster(code="DSX", name="Cluster X"))
        y = b_.add(Cluster(code="DSY", name="Cluster Y"))
        a, b, c = (b_.add(Organisation(kind=OrganisationKind.MUNICIPALITY, code=code, name=f"Municipality {code}",
                                       cluster_id=cluster.id)) for code, cluster in (("DSA", x), ("DSB", x),
                                                                                     ("DSC", y)))
        kol = b_.add(Programme(code="DSKOL", name="Dataset KOL"))
        hf = b_.add(Programme(code="DSHF", name="Dataset HF"))
        start = at(1, 1)
        c1 = b_.citizen("c1", [(start, a)])
        c2 = b_.citizen("c2", [(start, a), (at(3, 20), c)])
        c3 = b_.citizen("c3", [(start, b)])
        c4 = b_.citizen("c4", [(start, c)])
        c5 = b_.citizen("c5", [(start, b)])
        k1 = b_.course(c1, kol, referred=at(3, 2), activated=at(3, 9))
        k2 = b_.course(c2, hf, referred=at(2, 25), activated=at(3, 10))
        k3 = b_.course(c3, kol, referred=at(3, 5), ended=at(3, 25), reason=EndReason.EXCLUDED,
                       exclusion=ExclusionReason.NO_COVERAGE)
        k4 = b_.course(c4, kol, referred=at(1, 10), activated=at(1, 20), ended=at(3, 15), reason=EndReason.COMPLETED)
        k5 = b_.course(c5, kol, referred=at(3, 3), activated=at(3, 28))
        b_.setup(k1, finished=at(3, 6), done=False)
        b_.setup(k1, finished=at(3, 9))
        b_.setup(k2, finished=at(3, 10))
        b_.setup(k4, finished=at(1, 20))
        b_.setup(k5, finished=at(3, 28))
        group = b_.add(SupportGroup(name="Dataset group"))
        t1 = b_.ticket(group, citizen=c1, opened=at(3, 12, 9), resolved=at(3, 12, 14), due=at(3, 12, 17))
        b_.ticket(group, citizen=c2, opened=at(3, 25, 9), priority=Priority.P1, resolved=at(3, 27, 11),
                  due=at(3, 25, 13))
        b_.ticket(group, opened=at(3, 15), priority=Priority.P3, due=at(3, 20))
        b_.ticket(group, citizen=c1, opened=at(3, 13), merged_into=t1)
        b_.ticket(group, citizen=c1, opened=at(3, 30), recorded=at(5, 2), priority=Priority.P4)
        model = b_.add(DeviceModel(category=DeviceCategory.TABLET, manufacturer="DS", model_number="DS-1",
                                   name="Dataset tablet"))
        depot = b_.add(Holder(kind=HolderKind.DEPOT, name="Dataset depot"))
        home1 = b_.add(Holder(kind=HolderKind.COURSE, name="Home c1", course_id=k1.id, citizen_id=c1.id))
        home4 = b_.add(Holder(kind=HolderKind.COURSE, name="Home c4", course_id=k4.id, citizen_id=c4.id))
        d1 = b_.device(model, a, "DS000001", [(at(1, 5), depot, None), (at(1, 20), home4, c4)])
        d2_home_at = at(3, 9, 10)
        d2 = b_.device(model, a, "DS000002", [(at(1, 5), depot, None), (d2_home_at, home1, c1)])
    return World(kol, hf, a, b, c, x, y, {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5},
                 {"k1": k1, "k2": k2, "k3": k3, "k4": k4, "k5": k5}, {"d1": d1, "d2": d2}, d2_home_at)
