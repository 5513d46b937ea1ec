"""A hand-made fleet whose equipment figures are known, worked out by hand here (the period is January and February
2026, local time: 59 days, no change of daylight saving time in it; the clock is fixed at NOW, never the wall clock).

Tablets, model Alfa (unit price 2,000 kr.), all at citizens from 1 Dec 2025 00:00 unless said:
- A1..A6 still at citizens: 6 x 59 days in the period. A1 has one device-fault ticket on 20 Jan 12:00 (its first
  fault after 50.5 days at citizens); A2..A6 have none (censored at NOW).
- A7 collected 10 Jan 12:00 (9.5 days in the period), cleaned, test passed 13 Jan 12:00: back to ready in 3 days.
- A8 collected 20 Feb 12:00 (50.5 days), test passed 3 Mar 12:00, after the period: 11 days (the return is in it).
- A9 reported lost at the citizen 5 Feb 12:00 (35.5 days): a non-return.
- A10 lost from the shelf 20 Jan 12:00 (never at a citizen): a loss.
- A11 scrapped in October 2025 and A12 registered 10 Mar 2026: neither is in the period's fleet.
Alfa: fleet 10, 449.5 days at citizens, 1 fault, returns to ready 3 and 11 days (median 7, 90th percentile 11).
Tablets, model Beta (no price):
- B1 still at a citizen: 59 days. Six device-fault tickets (5, 12, 19, 26 Jan, 2, 9 Feb), one more merged into the
  first (not counted) and a connectivity ticket (not a fault).
- B2 swapped 10 Feb 12:00 (40.5 days): its ticket of 3 Feb waited for the swap visit, and the faulty-movement of
  that visit is the same fault (counted once). One swap.
- B3 collected 15 Jan 12:00 (14.5 days), found faulty in the warehouse 16 Jan 12:00 (no ticket: counted). Its
  return went to repair, not back to ready.
Beta: fleet 3, 114 days at citizens, 8 faults. Tablets pooled: 9 faults in 563.5 days = 48.6 per 100 device-months;
Beta 8 in 114 days = 213.6, exact 95 % interval 92.2-420.9 (Garwood 3.4538-15.7632 events): flagged. Alfa 6.8.
Model Zulu (tablet) has no device: not compared. Scales, model Sigma, one device S1 (59 days, 3 faults): alone in its
kind, never flagged.
Survival (to NOW): Beta's first faults after 35.5 (B1), 45.5 (B3) and 64.5 (B2) days: 2/3, 1/3, 0; median 45.5.
Alfa: A1's fault at 50.5 days with 8 at risk (A7 was censored at 40.5): 87.5 % (not 8/9).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from dispatch.models import Visit, VisitKind, VisitStatus
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
from servicecenter.courses.models import Programme
from servicecenter.db import LOCAL_ZONE, unit_of_work
from servicecenter.organisations.models import Organisation, OrganisationKind
from support.models import Category, SupportGroup
from tests.coordination.dataset import Builder

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
FIRST, LAST = dt.date(2026, 1, 1), dt.date(2026, 2, 1)  # the months January and February


def local(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=LOCAL_ZONE).astimezone(dt.UTC)


START, END = local(2026, 1, 1), local(2026, 3, 1)
OUT = local(2025, 12, 1)  # every device went to a citizen then


def jan(day: int, hour: int = 12) -> dt.datetime:
    return local(2026, 1, day, hour)


def feb(day: int, hour: int = 12) -> dt.datetime:
    return local(2026, 2, day, hour)


@dataclass
class Fleet:
    alfa: DeviceModel
    beta: DeviceModel
    zulu: DeviceModel
    sigma: DeviceModel
    programme: Programme
    municipality: Organisation
    devices: dict[str, Device]


class FleetBuilder(Builder):
    def __init__(self, session):
        super().__init__(session)
        self.owner = self.add(Organisation(kind=OrganisationKind.REGION, code="KNR", name="Knowledge region"))
        self.municipality = self.add(Organisation(kind=OrganisationKind.MUNICIPALITY, code="KNM",
                                                  name="Knowledge municipality"))
        self.programme = self.add(Programme(code="KNKOL", name="Knowledge KOL"))
        self.depot = self.add(Holder(kind=HolderKind.DEPOT, name="Knowledge depot"))
        self.cleaning = self.add(Holder(kind=HolderKind.CLEANING, name="Knowledge cleaning"))
        self.lost = self.add(Holder(kind=HolderKind.LOST, name="Knowledge lost"))
        citizen = self.citizen("k1", [(OUT - dt.timedelta(days=30), self.municipality)])
        self.course = self.course(citizen, self.programme, referred=OUT - dt.timedelta(days=10), activated=OUT)
        self.home = self.add(Holder(kind=HolderKind.COURSE, name="Home", course_id=self.course.id,
                                    citizen_id=citizen.id))
        self.citizen_id = citizen.id
        self.group = self.add(SupportGroup(name="Knowledge group"))
        self.devices: dict[str, Device] = {}

    def model(self, category, number, name, price=None) -> DeviceModel:
        return self.add(DeviceModel(category=category, manufacturer="KN", model_number=number, name=name,
                                    unit_price=price))

    def device(self, model, tag, *, created=OUT - dt.timedelta(days=20), status=DeviceStatus.AT_CITIZEN,
               home_until: dt.datetime | None = None, at_citizen=True) -> Device:
        """Accepted into the depot at `created`; out to the citizen at OUT (unless not `at_citizen`)."""
        device = self.add(Device(tag=tag, serial=f"S-{tag}", model_id=model.id, owner_organisation_id=self.owner.id,
                                 status=status, holder_id=self.depot.id, created_at=created, last_moved_at=created))
        accept = self.move(device, MovementKind.ACCEPT, created, self.depot, DeviceStatus.READY)
        if at_citizen:
            handover = self.move(device, MovementKind.HANDOVER, OUT, self.home, DeviceStatus.AT_CITIZEN,
                                 DeviceStatus.READY)
            self.add(Custody(device_id=device.id, holder_id=self.depot.id, started_at=created, ended_at=OUT,
                             movement_id=accept.id))
            self.add(Custody(device_id=device.id, holder_id=self.home.id, citizen_id=self.citizen_id, started_at=OUT,
                             ended_at=home_until, movement_id=handover.id))
        self.devices[tag] = device
        return device

    def move(self, device, kind, at, holder, status, from_status=None, visit=None) -> Movement:
        device.last_moved_at = max(device.last_moved_at, at)
        return self.add(Movement(device_id=device.id, kind=kind, to_holder_id=holder.id, to_status=status,
                                 from_status=from_status, occurred_at=at, recorded_at=at, visit_id=visit))

    def fault_ticket(self, device, opened, *, category=Category.DEVICE_FAULT, merged_into=None, visit=None):
        ticket = self.ticket(self.group, opened=opened, merged_into=merged_into)
        ticket.category, ticket.device_id, ticket.visit_id = category, device.id, visit
        self.s.flush()
        return ticket

    def returned(self, device, at, *, ready_at=None, faulty_at=None):
        self.move(device, MovementKind.COLLECT, at, self.depot, DeviceStatus.RETURNED, DeviceStatus.AT_CITIZEN)
        if faulty_at:
            self.move(device, MovementKind.FAULT, faulty_at, self.depot, DeviceStatus.FAULTY, DeviceStatus.RETURNED)
        if ready_at:
            self.move(device, MovementKind.CLEAN_START, at + dt.timedelta(days=1), self.cleaning,
                      DeviceStatus.CLEANING, DeviceStatus.RETURNED)
            self.move(device, MovementKind.CLEAN_FINISH, at + dt.timedelta(days=2), self.cleaning,
                      DeviceStatus.TESTING, DeviceStatus.CLEANING)
            self.move(device, MovementKind.TEST_PASS, ready_at, self.depot, DeviceStatus.READY, DeviceStatus.TESTING)


def build(session) -> Fleet:
    b = FleetBuilder(session)
    with unit_of_work(session):
        alfa = b.model(DeviceCategory.TABLET, "KN-A", "Alfa", Decimal("2000.00"))
        beta = b.model(DeviceCategory.TABLET, "KN-B", "Beta")
        zulu = b.model(DeviceCategory.TABLET, "KN-Z", "Zulu", Decimal("999.00"))
        sigma = b.model(DeviceCategory.SCALE, "KN-S", "Sigma")
        a = [b.device(alfa, f"A{n}") for n in range(1, 7)]
        b.fault_ticket(a[0], jan(20))
        b.returned(b.device(alfa, "A7", home_until=jan(10), status=DeviceStatus.READY), jan(10), ready_at=jan(13))
        b.returned(b.device(alfa, "A8", home_until=feb(20), status=DeviceStatus.READY), feb(20),
                   ready_at=local(2026, 3, 3, 12))
        a9 = b.device(alfa, "A9", home_until=feb(5), status=DeviceStatus.LOST)
        b.move(a9, MovementKind.LOSE, feb(5), b.lost, DeviceStatus.LOST, DeviceStatus.AT_CITIZEN)
        a10 = b.device(alfa, "A10", at_citizen=False, status=DeviceStatus.LOST)
        b.move(a10, MovementKind.LOSE, jan(20), b.lost, DeviceStatus.LOST, DeviceStatus.READY)
        a11 = b.device(alfa, "A11", created=local(2025, 9, 1), at_citizen=False, status=DeviceStatus.SCRAPPED)
        b.move(a11, MovementKind.SCRAP, local(2025, 10, 1), b.lost, DeviceStatus.SCRAPPED, DeviceStatus.READY)
        b.device(alfa, "A12", created=local(2026, 3, 10), at_citizen=False, status=DeviceStatus.READY)
        b1 = b.device(beta, "B1")
        first = None
        for opened in (jan(5), jan(12), jan(19), jan(26), feb(2), feb(9)):
            ticket = b.fault_ticket(b1, opened)
            first = first or ticket
        b.fault_ticket(b1, feb(10), merged_into=first)
        b.fault_ticket(b1, feb(11), category=Category.CONNECTIVITY)
        b2 = b.device(beta, "B2", home_until=feb(10), status=DeviceStatus.FAULTY)
        swap = b.add(Visit(kind=VisitKind.SWAP, status=VisitStatus.DONE, course_id=b.course.id,
                           citizen_id=b.citizen_id, requested_at=feb(3), earliest_on=feb(3).date(),
                           latest_on=feb(10).date(), started_at=feb(10, 11), finished_at=feb(10),
                           swap_device_id=b2.id))
        b.fault_ticket(b2, feb(3), visit=swap.id)
        b.move(b2, MovementKind.COLLECT, feb(10), b.depot, DeviceStatus.RETURNED, DeviceStatus.AT_CITIZEN,
               visit=swap.id)
        b.move(b2, MovementKind.FAULT, feb(10), b.depot, DeviceStatus.FAULTY, DeviceStatus.RETURNED, visit=swap.id)
        b.returned(b.device(beta, "B3", home_until=jan(15), status=DeviceStatus.FAULTY), jan(15), faulty_at=jan(16))
        s1 = b.device(sigma, "S1")
        for opened in (jan(3), jan(30), feb(27)):
            b.fault_ticket(s1, opened)
    return Fleet(alfa, beta, zulu, sigma, b.programme, b.municipality, b.devices)
