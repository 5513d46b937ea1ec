"""The SLA settings as data: targets per priority and the opening hours. Without rows, the defaults of
support/sla.py (office hours Monday-Friday 08-16, Danish days off)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from servicecenter.audit.service import record_event
from servicecenter.errors import N_, DomainError
from support import sla
from support.models import BusinessHoursRow, Priority, SlaPolicyRow


@dataclass(frozen=True)
class Settings:
    policies: dict[Priority, sla.SlaPolicy]
    calendar: sla.BusinessCalendar
    hours: dict[int, tuple[dt.time, dt.time]]


def load_settings(session: Session) -> Settings:
    policies = {Priority(p): policy for p, policy in sla.POLICIES.items()}
    for row in session.scalars(select(SlaPolicyRow)):
        policies[row.priority] = sla.SlaPolicy(dt.timedelta(minutes=row.first_response_minutes),
                                               dt.timedelta(minutes=row.resolution_minutes), row.business_hours)
    rows = list(session.scalars(select(BusinessHoursRow).order_by(BusinessHoursRow.weekday)))
    hours = {r.weekday: (r.opens, r.closes) for r in rows} if rows else dict(sla.OFFICE_HOURS)
    return Settings(policies, _calendar(tuple(sorted(hours.items()))), hours)


@lru_cache(maxsize=8)
def _calendar(hours: tuple) -> sla.BusinessCalendar:
    """One calendar per set of opening hours, kept: it caches its days off and opening intervals per date."""
    return sla.BusinessCalendar(dict(hours))


def save_settings(session: Session, *, policies: dict[Priority, tuple[int, int, bool]],
                  hours: dict[int, tuple[dt.time, dt.time]], actor, now: dt.datetime) -> None:
    """Replace the targets and the opening hours. The caller recomputes the open tickets' deadlines."""
    for priority, (first, resolution, _business) in policies.items():
        if not 1 <= first <= resolution <= 60 * 24 * 60:
            raise DomainError(N_("%(priority)s: the first response must come within the resolution time, both "
                                 "between 1 minute and 60 days."), field=f"{priority.value}_first",
                              priority=priority.value)
    for weekday, (opens, closes) in hours.items():
        if not (opens < closes or closes == sla.MIDNIGHT):  # closing at 00:00 is midnight
            raise DomainError(N_("Opening hours must open before they close."), field=f"day{weekday}")
    if not hours:
        raise DomainError(N_("The service center must be open on at least one day."), field="day0")
    session.execute(delete(SlaPolicyRow))
    session.execute(delete(BusinessHoursRow))
    session.add_all([SlaPolicyRow(priority=p, first_response_minutes=f, resolution_minutes=r, business_hours=b)
                     for p, (f, r, b) in policies.items()])
    session.add_all([BusinessHoursRow(weekday=w, opens=o, closes=c) for w, (o, c) in sorted(hours.items())])
    session.flush()
    record_event(session, actor=actor, action="support.sla_settings", entity_type="sla_settings", entity_id=None,
                 now=now, detail={"policies": {p.value: list(v) for p, v in policies.items()},
                                  "hours": {str(w): [o.isoformat(), c.isoformat()] for w, (o, c) in hours.items()}})
