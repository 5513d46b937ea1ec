"""The stored cells of the indicators and the figures the dashboard and the report show from them.

`refresh` replaces a month's cells with a full recomputation in one transaction (a job does it every hour for the
last 13 months, so back-dated events land in their month); `disagreements` recomputes and compares, so a cell that
drifted from the ledgers is found (`flask coordination verify`). The figures of a filter are sums of cells; the
medians and 90th percentiles come from the cells' buckets (days for lead times, hours for resolution times)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from coordination.models import IndicatorCell, MonthComputed
from coordination.service.indicators import Cell, Month, compute
from servicecenter.db import local_date
from servicecenter.months import add_months, first_of
from support.models import Priority

INCLUSION_TARGET = 0.95
FLEET_WIDE = ("utilisation",)  # no programme or municipality: shown for the whole fleet under any filter


def refresh(session: Session, first: dt.date, *, now: dt.datetime, pickup_grace_days: int = 10) -> int:
    """Replace the month's cells with a recomputation; returns how many cells it has."""
    cells = compute(session, Month.of(first, now=now, pickup_grace_days=pickup_grace_days))
    session.execute(delete(IndicatorCell).where(IndicatorCell.month == first))
    if cells:  # one executemany, no objects: the ORM's flush of 4,400 new rows took a second at national scale
        session.execute(insert(IndicatorCell), [
            {"month": first, "indicator": c.indicator, "programme_id": c.programme_id,
             "municipality_id": c.municipality_id, "key": c.key, "n": c.n, "total": c.total} for c in cells])
    stamp = session.get(MonthComputed, first)
    if stamp is None:
        session.add(MonthComputed(month=first, computed_at=now))
    else:
        stamp.computed_at = now
    session.flush()
    return len(cells)


def recent_months(now: dt.datetime, count: int = 13) -> list[dt.date]:
    """This month and the twelve before it, oldest first."""
    this = first_of(local_date(now))
    return [add_months(this, -k) for k in range(count - 1, -1, -1)]


def stored(session: Session, first: dt.date) -> list[Cell]:
    return [Cell(c.indicator, c.programme_id, c.municipality_id, c.key, c.n, c.total) for c in session.scalars(
        select(IndicatorCell).where(IndicatorCell.month == first))]


def disagreements(session: Session, first: dt.date, *, at: dt.datetime, pickup_grace_days: int = 10) -> list[str]:
    """Cells stored for the month that a recomputation as of `at` (when they were computed) does not give, and the
    other way round: empty when the cache agrees with the ledgers."""
    def keyed(cells):
        return {(c.indicator, c.programme_id, c.municipality_id, c.key): (c.n, round(c.total, 2)) for c in cells}
    have = keyed(stored(session, first))
    want = keyed(compute(session, Month.of(first, now=at, pickup_grace_days=pickup_grace_days)))
    return [f"{first:%Y-%m} {k}: stored {have.get(k)}, recomputed {want.get(k)}"
            for k in sorted(set(have) | set(want), key=str) if have.get(k) != want.get(k)]


def computed_at(session: Session, first: dt.date) -> dt.datetime | None:
    stamp = session.get(MonthComputed, first)
    return stamp.computed_at if stamp else None


# --- figures ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    programme_ids: tuple[int, ...] | None = None
    municipality_ids: tuple[int, ...] | None = None  # a cluster is its municipalities


def percentile(buckets: dict[int, int], share: float) -> int | None:
    """The bucket holding the `share` quantile (nearest rank) of the cases counted in `buckets`."""
    total = sum(buckets.values())
    if not total:
        return None
    rank = max(1, -(-int(share * total * 1000) // 1000))  # ceil(share * total) without float noise
    seen = 0
    for bucket in sorted(buckets):
        seen += buckets[bucket]
        if seen >= rank:
            return bucket
    return None


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    """One month's figures under one filter."""

    month: dt.date
    counts: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    totals: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(float)))
    by_programme_filter: bool = False

    def n(self, indicator: str, key: str | None = None) -> int:
        keyed = self.counts.get(indicator, {})
        return keyed.get(key, 0) if key is not None else sum(keyed.values())

    @property
    def referred(self) -> int:
        return self.n("referred")

    @property
    def included(self) -> int:
        return self.n("activated")

    @property
    def excluded(self) -> int:
        return self.n("ended", "excluded")

    @property
    def inclusion_rate(self) -> float | None:
        return _rate(self.included, self.included + self.excluded)

    @property
    def active(self) -> int:
        return self.n("active")

    @property
    def active_citizens(self) -> int:
        return self.active if self.by_programme_filter else self.n("active_citizens")

    @property
    def ended_by_reason(self) -> dict[str, int]:
        return dict(sorted(self.counts.get("ended", {}).items()))

    def _buckets(self, indicator: str) -> dict[int, int]:
        return {int(k): n for k, n in self.counts.get(indicator, {}).items()}

    @property
    def lead_days_median(self) -> int | None:
        return percentile(self._buckets("activated"), 0.5)

    @property
    def lead_days_p90(self) -> int | None:
        return percentile(self._buckets("activated"), 0.9)

    @property
    def first_setup_rate(self) -> float | None:
        return _rate(self.n("first_setup", "done"), self.n("first_setup"))

    @property
    def tickets(self) -> int:
        return self.n("tickets")

    @property
    def tickets_per_100(self) -> float | None:
        return self.tickets * 100 / self.active_citizens if self.active_citizens else None

    @property
    def resolution_hours_median(self) -> int | None:
        return percentile(self._buckets("resolved"), 0.5)

    @property
    def resolution_hours_p90(self) -> int | None:
        return percentile(self._buckets("resolved"), 0.9)

    def sla_rate(self, priority: Priority | str) -> float | None:
        met, missed = self.n("sla", f"{priority}:met"), self.n("sla", f"{priority}:missed")
        return _rate(met, met + missed)

    def sla_counted(self, priority: Priority | str) -> int:
        return self.n("sla", f"{priority}:met") + self.n("sla", f"{priority}:missed")

    @property
    def overdue_pickups(self) -> int:
        return self.n("overdue_pickups")

    @property
    def utilisation(self) -> float | None:
        at_citizen = self.totals.get("utilisation", {}).get("citizen", 0.0)
        fleet = at_citizen + self.totals.get("utilisation", {}).get("stock", 0.0)
        return at_citizen / fleet if fleet else None


def figures(session: Session, first: dt.date, last: dt.date, flt: Filter = Filter()) -> list[Figures]:
    """The figures of every month from `first` to `last` (inclusive) under the filter, from the stored cells in one
    grouped statement; a month without cells has zeros (and no rates)."""
    c = IndicatorCell
    stmt = (select(c.month, c.indicator, c.key, func.sum(c.n), func.sum(c.total))
            .where(c.month >= first, c.month <= last).group_by(c.month, c.indicator, c.key))
    if flt.programme_ids is not None:
        stmt = stmt.where(or_(c.programme_id.in_(flt.programme_ids), c.indicator.in_(FLEET_WIDE)))
    if flt.municipality_ids is not None:
        stmt = stmt.where(or_(c.municipality_id.in_(flt.municipality_ids), c.indicator.in_(FLEET_WIDE)))
    months: dict[dt.date, Figures] = {}
    month = first
    while month <= last:
        months[month] = Figures(month, by_programme_filter=flt.programme_ids is not None)
        month = add_months(month, 1)
    for month, indicator, key, n, total in session.execute(stmt):
        months[month].counts[indicator][key or ""] += int(n)
        months[month].totals[indicator][key or ""] += float(total or 0)
    return list(months.values())
