"""The stock forecast: per depot and programme, the ready kits the setups booked in the coming days will need,
against the ready kits on the shelf, the minimum, and what is in cleaning and will be ready again.

A setup with its kit already reserved needs nothing more; one without needs a ready kit. A setup's depot is its
technician's; a setup not yet given to a technician is counted under "no depot yet"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from dispatch.models import Technician, Visit, VisitKind, VisitStatus
from inventory.models import Device, DeviceStatus, Holder, HolderKind
from inventory.service.stock import ready_kits_by_depot, stock_lines
from servicecenter.courses.models import Course, Programme

IN_CLEANING = (DeviceStatus.RETURNED, DeviceStatus.CLEANING, DeviceStatus.TESTING)


@dataclass(frozen=True)
class ForecastLine:
    depot_id: int | None
    depot: str | None
    programme_id: int
    programme: str
    ready_kits: int
    minimum: int
    booked: int  # setups booked in the window
    reserved: int  # of them with a kit already reserved
    in_cleaning: int  # devices of the depot on their way back to ready (all programmes)

    @property
    def needs_kit(self) -> int:
        return self.booked - self.reserved

    @property
    def short(self) -> int:
        """Kits missing for the booked setups (0 when the shelf covers them)."""
        return max(0, self.needs_kit - self.ready_kits)

    @property
    def below_minimum(self) -> bool:
        """The shelf after the booked setups have taken their kits is below the minimum."""
        return self.ready_kits - self.needs_kit < self.minimum


# The service centre's own places (not homes): listed, so ix_holders_kind_name finds the few dozen among 100,000
# homes ("not a home" was a scan of them all, issue 17).
PLACES = [kind for kind in HolderKind if kind != HolderKind.COURSE]


def forecast(session: Session, *, today: dt.date, days: int = 7) -> list[ForecastLine]:
    day = func.coalesce(Visit.scheduled_on, Visit.earliest_on)
    booked = session.execute(
        select(Technician.depot_id, Course.programme_id, func.count(), func.count(Visit.kit_id))
        .select_from(Visit).join(Course, Course.id == Visit.course_id)
        .outerjoin(Technician, Technician.id == Visit.technician_id)
        .where(Visit.kind == VisitKind.SETUP, Visit.status.in_([VisitStatus.REQUESTED, VisitStatus.SCHEDULED]),
               day < today + dt.timedelta(days=days))
        .group_by(Technician.depot_id, Course.programme_id)).all()
    per_holder = (select(Device.holder_id, func.count().label("n")).where(Device.status.in_(IN_CLEANING))
                  .group_by(Device.holder_id).subquery())  # read from the devices' status index alone
    depot_of_holder = func.coalesce(Holder.depot_id, Holder.id)
    cleaning = dict(session.execute(
        select(depot_of_holder, cast(func.sum(per_holder.c.n), Integer))
        .join(Holder, Holder.id == per_holder.c.holder_id).where(Holder.kind.in_(PLACES))
        .group_by(depot_of_holder)).all())
    ready = ready_kits_by_depot(session)
    minimums = {(line.depot.id, line.programme.id): line.minimum for line in stock_lines(session, counts=ready)}
    keys = set(ready) | set(minimums) | {(depot, programme) for depot, programme, _n, _r in booked}
    counts = {(depot, programme): (n, reserved) for depot, programme, n, reserved in booked}
    depots = dict(session.execute(select(Holder.id, Holder.name).where(Holder.kind == HolderKind.DEPOT)).all())
    programmes = dict(session.execute(select(Programme.id, Programme.name)).all())
    lines = [ForecastLine(depot, depots.get(depot), programme, programmes.get(programme, "?"),
                          ready.get((depot, programme), 0), minimums.get((depot, programme), 0),
                          *counts.get((depot, programme), (0, 0)), cleaning.get(depot, 0) if depot else 0)
             for depot, programme in keys]
    return sorted(lines, key=lambda line: (line.depot is None, line.depot or "", line.programme))
