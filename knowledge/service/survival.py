"""Time to first fault per device model: Kaplan-Meier curves (lifelines) over the days devices spent at citizens.

A device's clock runs only while it is at a citizen (its custody intervals), from its first day out until its first
fault (`support.service.figures.fault_events`). A device without a fault yet, still in service or gone (scrapped,
lost) without one, is censored at the days it has served: it counts as at risk until then, never as a fault. A
fault found before the device ever served (delivered faulty) says nothing of its life in homes and is left out."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from inventory.models import Custody, Device, DeviceModel
from knowledge.service.stats import LEVEL
from servicecenter.db import UTCDateTime
from support.service.figures import fault_events, seconds_between

MILESTONES = (30, 90, 180, 365)  # days at citizens: the table beside the curve
DAY = 86400.0


@dataclass(frozen=True)
class Milestone:
    days: int
    at_risk: int  # devices that served at least this long without a fault (or were still watched)
    survival: float | None  # None: no device was watched this long
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Curve:
    model_id: int
    name: str
    devices: int
    faults: int
    times: list[float]  # days: the steps of the curve, starting at 0
    survival: list[float]
    median_days: float | None  # None: more than half are still fault-free
    milestones: list[Milestone]


def lives(session: Session, model_ids: list[int], *, now: dt.datetime) -> dict[int, list[tuple[float, bool]]]:
    """model -> (days at citizens until the first fault or until now, whether the fault was seen) per device."""
    events = fault_events()
    first = select(events.c.device_id, func.min(events.c.at).label("at")).group_by(events.c.device_id).subquery()
    moment = literal(now, UTCDateTime())
    cut = case((first.c.at.is_not(None) & (first.c.at < moment), first.c.at), else_=moment)
    ended = case((Custody.ended_at.is_(None), moment), else_=Custody.ended_at)
    clipped = case((ended > cut, cut), else_=ended)
    served = func.sum(case((Custody.started_at < cut, seconds_between(session, Custody.started_at, clipped)),
                           else_=0))
    rows = session.execute(
        select(Device.model_id, Device.id, first.c.at, served)
        .join(Custody, (Custody.device_id == Device.id) & Custody.citizen_id.is_not(None))
        .outerjoin(first, first.c.device_id == Device.id)
        .where(Device.model_id.in_(model_ids))
        .group_by(Device.model_id, Device.id, first.c.at)).all()
    found: dict[int, list[tuple[float, bool]]] = {model_id: [] for model_id in model_ids}
    for model_id, _device_id, fault_at, seconds in rows:
        days = float(seconds or 0) / DAY
        if days > 0:
            found[model_id].append((days, fault_at is not None and fault_at <= now))
    return found


def curves(session: Session, model_ids: list[int], *, now: dt.datetime) -> list[Curve]:
    names = {m.id: str(m) for m in session.scalars(select(DeviceModel).where(DeviceModel.id.in_(model_ids)))}
    found = lives(session, model_ids, now=now)
    return [fit(model_id, names[model_id], found[model_id]) for model_id in model_ids if found[model_id]]


def fit(model_id: int, name: str, lives_: list[tuple[float, bool]]) -> Curve:
    """The Kaplan-Meier estimate with its pointwise interval (lifelines' exponential Greenwood, at LEVEL)."""
    from lifelines import KaplanMeierFitter  # imported when a curve is drawn: it brings pandas and SciPy

    durations = [days for days, _seen in lives_]
    seen = [bool(s) for _days, s in lives_]
    kmf = KaplanMeierFitter(alpha=1 - LEVEL).fit(durations, event_observed=seen)
    frame, bands = kmf.survival_function_, kmf.confidence_interval_survival_function_
    times = [float(t) for t in frame.index]
    survival = [float(v) for v in frame.iloc[:, 0]]
    lows, highs = [float(v) for v in bands.iloc[:, 0]], [float(v) for v in bands.iloc[:, 1]]
    median = float(kmf.median_survival_time_)
    longest = max(durations)

    def at(days: int) -> Milestone:
        at_risk = sum(1 for d in durations if d >= days)
        if days > longest:
            return Milestone(days, at_risk, None, None, None)
        i = max(j for j, t in enumerate(times) if t <= days)
        return Milestone(days, at_risk, survival[i], lows[i], highs[i])

    return Curve(model_id, name, len(durations), sum(seen), times, survival,
                 None if math.isinf(median) else median, [at(days) for days in MILESTONES])
