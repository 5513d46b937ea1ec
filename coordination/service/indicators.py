"""The indicators the programmes report monthly, computed from the ledgers and events (never typed in).

Each indicator is ONE definition: a SELECT of the cases behind it in a month, one row per case with the columns
(case_id, citizen_id, programme_id, municipality_id, key, value). The monthly cells are that select grouped by
(programme, municipality, key); the list behind a figure is the same select, filtered and paginated. So a figure
and its list cannot disagree.

A citizen is counted in the municipality she lived in at the moment the indicator asks about (the referral, the
activation, the month's end, the ticket's opening): `citizen_municipalities` keeps where she lived from when.
Months are local (Copenhagen) months; the current month is counted up to `now`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Integer, Select, String, and_, case, cast, func, literal, null, or_, select
from sqlalchemy.orm import Session, aliased

from dispatch.models import Visit, VisitKind, VisitStatus
from inventory.models import Custody, Holder, HolderKind
from servicecenter.citizens.models import Citizen, CitizenMunicipality
from servicecenter.courses.models import Course
from servicecenter.db import UTCDateTime
from servicecenter.months import month_bounds
from support.models import Ticket

DAY = 86400.0
HOUR = 3600.0


@dataclass(frozen=True)
class Month:
    """The month asked about, with `until`: its end, or `now` if the month is not over."""

    first: dt.date
    start: dt.datetime
    end: dt.datetime
    until: dt.datetime
    pickup_grace_days: int = 10

    @classmethod
    def of(cls, first: dt.date, *, now: dt.datetime, pickup_grace_days: int = 10) -> Month:
        start, end = month_bounds(first)
        return cls(first, start, end, max(start, min(end, now)), pickup_grace_days)


# --- SQL pieces ---------------------------------------------------------------------------------------------


def _seconds(dialect: str, start, end):
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return func.round((func.julianday(end) - func.julianday(start)) * DAY)  # whole seconds: no 4.99999 h


def _floor(dialect: str, expr):
    """A non-negative number's whole part as an integer (PostgreSQL's CAST rounds; SQLite's truncates)."""
    return cast(func.floor(expr), Integer) if dialect == "postgresql" else cast(expr, Integer)


def _moment(value: dt.datetime):
    return literal(value, UTCDateTime())


def municipality_at(citizen_id, moment):
    """Where the citizen lived at `moment` (a column or a literal); her record's municipality when no history
    reaches back that far (data loaded in bulk). Needs Citizen in the FROM clause."""
    history = aliased(CitizenMunicipality)
    lived = (select(history.municipality_id)
             .where(history.citizen_id == citizen_id, history.since <= moment)
             .order_by(history.since.desc(), history.id.desc()).limit(1).scalar_subquery())
    return func.coalesce(lived, Citizen.municipality_id)


def _rows(case_id, citizen_id, programme_id, municipality_id, key, value) -> list:
    return [case_id.label("case_id"), citizen_id.label("citizen_id"), programme_id.label("programme_id"),
            municipality_id.label("municipality_id"), cast(key, String).label("key"), value.label("value")]


def _day_bucket(dialect: str, seconds):
    """Whole days up to 30, then weeks up to 12 weeks, then "84" (84 days or more): few cells, exact percentiles at
    day resolution where nearly all cases are."""
    days = _floor(dialect, seconds / DAY)
    weeks = _floor(dialect, seconds / (7 * DAY)) * 7
    return case((seconds < 0, 0), (days <= 30, days), (weeks < 84, weeks), else_=84)


def _hour_bucket(dialect: str, seconds):
    """Whole hours up to a day, then whole days (in hours) up to 60 days, then 1440 h."""
    hours = _floor(dialect, seconds / HOUR)
    days = _floor(dialect, seconds / DAY) * 24
    return case((seconds < 0, 0), (hours < 24, hours), (days < 1440, days), else_=1440)


# --- the indicators -------------------------------------------------------------------------------------------


def referred(dialect: str, m: Month) -> Select:
    at = func.coalesce(Course.referred_at, Course.created_at)
    return (select(*_rows(Course.id, Course.citizen_id, Course.programme_id,
                          municipality_at(Course.citizen_id, at), literal(""), literal(1.0)))
            .join(Citizen, Citizen.id == Course.citizen_id)
            .where(at >= _moment(m.start), at < _moment(m.until)))


def activated(dialect: str, m: Month) -> Select:
    """Courses that got working equipment in the home in the month (the setup visit done with the whole kit);
    key: the lead time from referral in days (bucketed), value: the lead time in days."""
    referred_at = func.coalesce(Course.referred_at, Course.created_at)
    seconds = _seconds(dialect, referred_at, Course.activated_at)
    return (select(*_rows(Course.id, Course.citizen_id, Course.programme_id,
                          municipality_at(Course.citizen_id, Course.activated_at), _day_bucket(dialect, seconds),
                          seconds / DAY))
            .join(Citizen, Citizen.id == Course.citizen_id)
            .where(Course.activated_at >= _moment(m.start), Course.activated_at < _moment(m.until)))


def ended(dialect: str, m: Month) -> Select:
    """Courses ended in the month; key: the end reason."""
    return (select(*_rows(Course.id, Course.citizen_id, Course.programme_id,
                          municipality_at(Course.citizen_id, Course.ended_at), Course.end_reason, literal(1.0)))
            .join(Citizen, Citizen.id == Course.citizen_id)
            .where(Course.ended_at >= _moment(m.start), Course.ended_at < _moment(m.until)))


def active(dialect: str, m: Month) -> Select:
    """Courses with equipment in service at the month's end (or now): activated, not ended (paused counts)."""
    at = _moment(m.until)
    return (select(*_rows(Course.id, Course.citizen_id, Course.programme_id, municipality_at(Course.citizen_id, at),
                          literal(""), literal(1.0)))
            .join(Citizen, Citizen.id == Course.citizen_id)
            .where(Course.activated_at < at, or_(Course.ended_at.is_(None), Course.ended_at >= at)))


_FINISHED_SETUP = (Visit.kind == VisitKind.SETUP, Visit.finished_at.is_not(None),
                   Visit.status.in_([VisitStatus.DONE, VisitStatus.FAILED, VisitStatus.REQUEUED]))


def first_setup(dialect: str, m: Month) -> Select:
    """Each course's first setup attempt, if it ended in the month; key: "done" or "failed"."""
    earlier = aliased(Visit)
    before = (select(earlier.id).where(earlier.course_id == Visit.course_id, earlier.kind == VisitKind.SETUP,
                                       earlier.finished_at < Visit.finished_at,
                                       earlier.status.in_([VisitStatus.DONE, VisitStatus.FAILED, VisitStatus.REQUEUED]))
              .exists())  # the month's finished setups are few; each looks back along its course's visits
    outcome = case((Visit.status == VisitStatus.DONE, "done"), else_="failed")
    return (select(*_rows(Visit.id, Visit.citizen_id, Course.programme_id,
                          municipality_at(Visit.citizen_id, Visit.finished_at), outcome, literal(1.0)))
            .join(Course, Course.id == Visit.course_id).join(Citizen, Citizen.id == Visit.citizen_id)
            .where(*_FINISHED_SETUP, Visit.finished_at >= _moment(m.start), Visit.finished_at < _moment(m.until),
                   ~before))


def _ticket_programme(moment):
    """The programme of the citizen's newest course begun by `moment` (a ticket names the citizen, not a course)."""
    return (select(Course.programme_id).where(Course.citizen_id == Ticket.citizen_id, Course.created_at <= moment)
            .order_by(Course.created_at.desc(), Course.id.desc()).limit(1).scalar_subquery())


def _ticket_select(moment, key, value):
    citizen_municipality = case((Ticket.citizen_id.is_(None), null()), else_=municipality_at(Ticket.citizen_id, moment))
    return (select(*_rows(Ticket.id, Ticket.citizen_id, _ticket_programme(moment), citizen_municipality, key, value))
            .outerjoin(Citizen, Citizen.id == Ticket.citizen_id).where(Ticket.merged_into_id.is_(None)))


def tickets(dialect: str, m: Month) -> Select:
    """Tickets opened in the month (merged ones count in the ticket they went into)."""
    return _ticket_select(Ticket.opened_at, literal(""), literal(1.0)).where(
        Ticket.opened_at >= _moment(m.start), Ticket.opened_at < _moment(m.until))


def resolved(dialect: str, m: Month) -> Select:
    """Tickets resolved in the month; key: the resolution time in hours (bucketed), value: hours."""
    seconds = _seconds(dialect, Ticket.opened_at, Ticket.resolved_at)
    return _ticket_select(Ticket.resolved_at, _hour_bucket(dialect, seconds), seconds / HOUR).where(
        Ticket.resolved_at >= _moment(m.start), Ticket.resolved_at < _moment(m.until))


def sla(dialect: str, m: Month) -> Select:
    """Tickets whose resolution deadline fell in the month (up to now); key: "P1:met", "P1:missed", ..."""
    met = and_(Ticket.resolved_at.is_not(None), Ticket.resolved_at <= Ticket.resolution_due_at)
    key = cast(Ticket.priority, String).concat(case((met, ":met"), else_=":missed"))
    return _ticket_select(Ticket.resolution_due_at, key, literal(1.0)).where(
        Ticket.resolution_due_at >= _moment(m.start), Ticket.resolution_due_at < _moment(m.until))


def overdue_pickups(dialect: str, m: Month) -> Select:
    """Devices still in the home at the month's end (or now) of a course ended more than the grace days before."""
    at = _moment(m.until)
    ended_before = _moment(m.until - dt.timedelta(days=m.pickup_grace_days))
    return (select(*_rows(Custody.device_id, Course.citizen_id, Course.programme_id,
                          municipality_at(Course.citizen_id, at), literal(""), literal(1.0)))
            .join(Holder, Holder.id == Custody.holder_id).join(Course, Course.id == Holder.course_id)
            .join(Citizen, Citizen.id == Course.citizen_id)
            .where(Holder.kind == HolderKind.COURSE, Custody.started_at < at,
                   or_(Custody.ended_at.is_(None), Custody.ended_at > at), Course.ended_at <= ended_before))


def utilisation(dialect: str, m: Month) -> Select:
    """Device-time in the month (up to now): key "citizen" for time in a home, "stock" for the rest of the fleet
    (lost and scrapped devices are not in the fleet); value: days. Fleet-wide: no programme or municipality."""
    first, last = _moment(m.start), _moment(m.until)
    clip_start = case((Custody.started_at < first, first), else_=Custody.started_at)
    clip_end = case((Custody.ended_at.is_(None), last), (Custody.ended_at > last, last), else_=Custody.ended_at)
    key = case((Custody.citizen_id.is_not(None), "citizen"), else_="stock")
    return (select(*_rows(Custody.device_id, Custody.citizen_id, null(), null(), key,
                          _seconds(dialect, clip_start, clip_end) / DAY))
            .join(Holder, Holder.id == Custody.holder_id)
            .where(Holder.kind.not_in([HolderKind.LOST, HolderKind.SCRAPPED]), Custody.started_at < last,
                   or_(Custody.ended_at.is_(None), Custody.ended_at > first)))


@dataclass(frozen=True)
class Indicator:
    name: str
    cases: Callable[[str, Month], Select]
    has_cases: bool = True  # a list of citizens' cases stands behind it


INDICATORS: dict[str, Indicator] = {i.name: i for i in [
    Indicator("referred", referred), Indicator("activated", activated), Indicator("ended", ended),
    Indicator("active", active), Indicator("first_setup", first_setup), Indicator("tickets", tickets),
    Indicator("resolved", resolved), Indicator("sla", sla), Indicator("overdue_pickups", overdue_pickups),
    Indicator("utilisation", utilisation, has_cases=False),
]}


@dataclass(frozen=True)
class Cell:
    indicator: str
    programme_id: int | None
    municipality_id: int | None
    key: str
    n: int
    total: float


def compute(session: Session, m: Month) -> list[Cell]:
    """Every indicator's cells for the month, recomputed from the ledgers (one grouped statement per indicator)."""
    dialect = session.get_bind().dialect.name
    cells: list[Cell] = []
    for indicator in INDICATORS.values():
        rows = indicator.cases(dialect, m).subquery()
        grouped = (select(rows.c.programme_id, rows.c.municipality_id, rows.c.key, func.count(),
                          func.coalesce(func.sum(rows.c.value), 0.0))
                   .group_by(rows.c.programme_id, rows.c.municipality_id, rows.c.key))
        cells.extend(Cell(indicator.name, p, mun, k or "", n, round(float(total), 4))
                     for p, mun, k, n, total in session.execute(grouped))
        if indicator.name == "active":  # citizens, not courses: one citizen may follow two programmes
            citizens = (select(rows.c.municipality_id, func.count(func.distinct(rows.c.citizen_id)))
                        .group_by(rows.c.municipality_id))
            cells.extend(Cell("active_citizens", None, mun, "", n, float(n)) for mun, n in session.execute(citizens))
    return cells


def cases(session: Session, name: str, m: Month, *, programme_ids=None, municipality_ids=None,
          key: str | None = None) -> Select:
    """The cases behind one figure (the same select as its cells), filtered like the dashboard."""
    rows = INDICATORS[name].cases(session.get_bind().dialect.name, m).subquery()
    stmt = select(rows)
    if programme_ids is not None:
        stmt = stmt.where(rows.c.programme_id.in_(programme_ids))
    if municipality_ids is not None:
        stmt = stmt.where(rows.c.municipality_id.in_(municipality_ids))
    if key is not None:
        stmt = stmt.where(rows.c.key == key)
    return stmt
