"""Which equipment is best: per device model, over a period, the figures the ledgers give, side by side for the
models of one kind, each rate with its exact interval and each share with its Wilson interval.

Every number is computed from the movement ledger, the custody intervals, the tickets and the visits (the fault,
exposure and swap definitions are support's, `support.service.figures`, so both pages agree); nothing is typed in.
A model is flagged when the lower limit of its fault rate's interval lies above the pooled rate of its kind: its
faults stand out beyond what chance in small numbers explains."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from inventory.models import Device, DeviceCategory, DeviceModel, DeviceStatus, Movement, MovementKind
from knowledge.service.stats import Interval, rate_interval, wilson
from support.service.figures import MONTH_SECONDS, exposure_seconds_by_model, faults_by_model, swaps_by_model

DAY = 86400.0
RETURNED = (MovementKind.COLLECT, MovementKind.FIND)  # the device is back with us, not yet cleaned


@dataclass(frozen=True)
class Turnaround:
    """From a return (collected, or found) to ready again (its function test passed), for returns in the period
    that went through cleaning; a return that turned out faulty went to repair and is left out."""

    count: int
    median_days: float | None
    p90_days: float | None


@dataclass(frozen=True)
class ModelRow:
    model_id: int
    name: str
    manufacturer: str
    category: DeviceCategory
    unit_price: Decimal | None
    fleet: int  # devices of the model we had at some time in the period
    device_months: float  # at citizens, in the period
    faults: int
    swaps: int
    turnaround: Turnaround
    losses: int  # lost anywhere but at a citizen (shelf, van, after collection)
    non_returns: int  # lost at a citizen: never came back
    pooled_rate: float | None  # the kind's faults per 100 device-months

    @property
    def fault_rate(self) -> float | None:
        return self.faults * 100 / self.device_months if self.device_months else None

    @property
    def fault_ci(self) -> Interval | None:
        interval = rate_interval(self.faults, self.device_months)
        return interval.scaled(100) if interval else None

    @property
    def swap_rate(self) -> float | None:
        return self.swaps * 100 / self.device_months if self.device_months else None

    @property
    def swap_ci(self) -> Interval | None:
        interval = rate_interval(self.swaps, self.device_months)
        return interval.scaled(100) if interval else None

    @property
    def service_days(self) -> float:
        return self.device_months * MONTH_SECONDS / DAY

    @property
    def mtbf_days(self) -> float | None:
        """Days at citizens per fault (none without a fault: then only a lower limit is known)."""
        return self.service_days / self.faults if self.faults else None

    @property
    def mtbf_ci(self) -> Interval | None:
        rate = rate_interval(self.faults, self.service_days)
        if rate is None:
            return None
        return Interval(1 / rate.high, 1 / rate.low if rate.low > 0 else math.inf)

    def _per_100(self, count: int) -> float | None:
        return count * 100 / self.fleet if self.fleet else None

    @property
    def losses_per_100(self) -> float | None:
        return self._per_100(self.losses)

    @property
    def losses_ci(self) -> Interval | None:
        interval = wilson(min(self.losses, self.fleet), self.fleet)
        return interval.scaled(100) if interval else None

    @property
    def non_returns_per_100(self) -> float | None:
        return self._per_100(self.non_returns)

    @property
    def non_returns_ci(self) -> Interval | None:
        interval = wilson(min(self.non_returns, self.fleet), self.fleet)
        return interval.scaled(100) if interval else None

    @property
    def lost_value(self) -> Decimal | None:
        """What the devices lost and not returned in the period cost to buy (where the price is known)."""
        return None if self.unit_price is None else self.unit_price * (self.losses + self.non_returns)

    @property
    def is_flagged(self) -> bool:
        ci = self.fault_ci
        return ci is not None and self.pooled_rate is not None and ci.low > self.pooled_rate


@dataclass(frozen=True)
class Kind:
    category: DeviceCategory
    rows: list[ModelRow]
    faults: int
    device_months: float

    @property
    def pooled_rate(self) -> float | None:
        return self.faults * 100 / self.device_months if self.device_months else None


def compare(session: Session, *, start: dt.datetime, end: dt.datetime, now: dt.datetime,
            category: DeviceCategory | None = None, model_ids: list[int] | None = None) -> list[Kind]:
    """The models of each kind (or of one kind) over [start, end), time after `now` not yet counted."""
    end = max(start, min(end, now))
    models = session.scalars(select(DeviceModel).where(
        *([DeviceModel.category == category] if category else []),
        *([DeviceModel.id.in_(model_ids)] if model_ids is not None else []))
        .order_by(DeviceModel.category, DeviceModel.manufacturer, DeviceModel.name)).all()
    exposure = exposure_seconds_by_model(session, start, end)
    faults, swaps = faults_by_model(session, start, end), swaps_by_model(session, start, end)
    fleet, lost = _fleet(session, start, end), _losses(session, start, end)
    turnarounds = _turnarounds(session, start, end, now, [m.id for m in models])
    kinds: dict[DeviceCategory, list[ModelRow]] = defaultdict(list)
    for m in models:
        if not (fleet.get(m.id) or exposure.get(m.id)):
            continue  # no device of the model in the period: nothing to compare
        kinds[m.category].append(ModelRow(
            m.id, m.name, m.manufacturer, m.category, m.unit_price, fleet.get(m.id, 0),
            exposure.get(m.id, 0.0) / MONTH_SECONDS, faults.get(m.id, 0), swaps.get(m.id, 0),
            turnarounds.get(m.id, Turnaround(0, None, None)), lost.get((m.id, False), 0), lost.get((m.id, True), 0),
            None))
    return [_pooled(category, rows) for category, rows in kinds.items()]


def _pooled(category: DeviceCategory, rows: list[ModelRow]) -> Kind:
    kind = Kind(category, rows, sum(r.faults for r in rows), sum(r.device_months for r in rows))
    pooled = kind.pooled_rate if len(rows) > 1 else None  # a model alone has no kind to stand out from
    return Kind(category, [replace(r, pooled_rate=pooled) for r in rows], kind.faults, kind.device_months)


def _fleet(session: Session, start: dt.datetime, end: dt.datetime) -> dict[int, int]:
    """Devices registered before the period ended and not gone for good (scrapped, or lost and never found) before
    it began: a device's last movement is the one that left it scrapped or lost."""
    gone_before = and_(Device.status.in_((DeviceStatus.SCRAPPED, DeviceStatus.LOST)), Device.last_moved_at < start)
    return dict(session.execute(select(Device.model_id, func.count()).where(Device.created_at < end, ~gone_before)
                                .group_by(Device.model_id)).all())


def _losses(session: Session, start: dt.datetime, end: dt.datetime) -> dict[tuple[int, bool], int]:
    """(model, lost at a citizen) -> devices reported lost in the period."""
    at_citizen = Movement.from_status == DeviceStatus.AT_CITIZEN
    rows = session.execute(
        select(Device.model_id, at_citizen, func.count(func.distinct(Movement.device_id)))
        .join(Device, Device.id == Movement.device_id)
        .where(Movement.kind == MovementKind.LOSE, Movement.occurred_at >= start, Movement.occurred_at < end)
        .group_by(Device.model_id, at_citizen)).all()
    return {(model_id, bool(citizen)): count for model_id, citizen, count in rows}


def _turnarounds(session: Session, start: dt.datetime, end: dt.datetime, now: dt.datetime,
                 model_ids: list[int]) -> dict[int, Turnaround]:
    """Walk each device's returns in the period, their faults and passed tests (until now) in time order."""
    kinds = (*RETURNED, MovementKind.TEST_PASS, MovementKind.FAULT)
    rows = session.execute(
        select(Device.model_id, Movement.device_id, Movement.kind, Movement.occurred_at)
        .join(Device, Device.id == Movement.device_id)
        .where(Movement.kind.in_(kinds), Movement.occurred_at >= start, Movement.occurred_at <= now,
               Device.model_id.in_(model_ids))
        .order_by(Movement.device_id, Movement.occurred_at, Movement.id)).all()
    days: dict[int, list[float]] = defaultdict(list)
    open_since: dict[int, dt.datetime] = {}
    for model_id, device_id, kind, at in rows:
        if kind in RETURNED:
            if at < end:
                open_since[device_id] = at
        elif kind == MovementKind.FAULT:
            open_since.pop(device_id, None)
        elif device_id in open_since:
            days[model_id].append((at - open_since.pop(device_id)).total_seconds() / DAY)
    return {model_id: _summary(values) for model_id, values in days.items()}


def _summary(values: list[float]) -> Turnaround:
    ordered = sorted(values)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]  # nearest rank
    return Turnaround(len(ordered), statistics.median(ordered), p90)


def kind_of(session: Session, model_id: int) -> DeviceCategory | None:
    return session.scalar(select(DeviceModel.category).where(DeviceModel.id == model_id))


def models_of(session: Session, category: DeviceCategory) -> list[tuple[int, str]]:
    return [(m.id, str(m)) for m in session.scalars(
        select(DeviceModel).where(DeviceModel.category == category).order_by(DeviceModel.manufacturer,
                                                                             DeviceModel.name))]
