"""Figures for the knowledge center: device faults per device model per 100 device-months, and swaps per model.

The definitions live here once; the support figures page and the equipment comparison (knowledge/) both read them.
A device-month is a device at a citizen for 30.44 days (custody intervals from the ledger, clipped to the period).
A fault is a "device fault" ticket about a device (merged duplicates left out), or a movement of a device into
"faulty" (the warehouse found it at test, a technician at the door) unless it is the swap visit of such a ticket
(that fault is the ticket's, counted once). A swap is a swap visit for a device of that model done in the period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, literal, select, union_all
from sqlalchemy.orm import Session

from dispatch.models import Visit, VisitKind, VisitStatus
from inventory.models import Custody, Device, DeviceModel, Movement, MovementKind
from servicecenter.db import UTCDateTime
from support.models import Category, Ticket

MONTH_SECONDS = 30.436875 * 86400


@dataclass(frozen=True)
class ModelFigures:
    model_id: int
    model: str
    device_months: float
    faults: int
    swaps: int

    @property
    def faults_per_100(self) -> float | None:
        return round(self.faults * 100 / self.device_months, 2) if self.device_months else None

    @property
    def swaps_per_100(self) -> float | None:
        return round(self.swaps * 100 / self.device_months, 2) if self.device_months else None


def seconds_between(session: Session, start, end):
    """end - start in seconds, as SQL of the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400


def fault_events():
    """Every fault as (device_id, at): the tickets, and the faulty-movements no such ticket explains."""
    tickets = (select(Ticket.device_id.label("device_id"), Ticket.opened_at.label("at"))
               .where(Ticket.category == Category.DEVICE_FAULT, Ticket.merged_into_id.is_(None),
                      Ticket.device_id.is_not(None)))
    ticket_swap = exists().where(Ticket.visit_id == Movement.visit_id, Ticket.device_id == Movement.device_id,
                                 Ticket.category == Category.DEVICE_FAULT, Ticket.merged_into_id.is_(None))
    movements = (select(Movement.device_id.label("device_id"), Movement.occurred_at.label("at"))
                 .where(Movement.kind == MovementKind.FAULT, ~and_(Movement.visit_id.is_not(None), ticket_swap)))
    return union_all(tickets, movements).subquery("fault_events")


def exposure_seconds_by_model(session: Session, start: dt.datetime, end: dt.datetime) -> dict[int, float]:
    """Seconds devices of each model spent at citizens within [start, end)."""
    first, last = literal(start, UTCDateTime()), literal(end, UTCDateTime())
    clip_start = case((Custody.started_at < first, first), else_=Custody.started_at)
    clip_end = case((Custody.ended_at.is_(None), last), (Custody.ended_at > last, last), else_=Custody.ended_at)
    rows = session.execute(
        select(Device.model_id, func.sum(seconds_between(session, clip_start, clip_end)))
        .join(Custody, Custody.device_id == Device.id)
        .where(Custody.citizen_id.is_not(None), Custody.started_at < last,
               (Custody.ended_at.is_(None)) | (Custody.ended_at > first))
        .group_by(Device.model_id)).all()
    return {model_id: float(seconds or 0) for model_id, seconds in rows}


def faults_by_model(session: Session, start: dt.datetime, end: dt.datetime) -> dict[int, int]:
    events = fault_events()
    return dict(session.execute(
        select(Device.model_id, func.count()).join(events, events.c.device_id == Device.id)
        .where(events.c.at >= start, events.c.at < end).group_by(Device.model_id)).all())


def swaps_by_model(session: Session, start: dt.datetime, end: dt.datetime) -> dict[int, int]:
    return dict(session.execute(
        select(Device.model_id, func.count(Visit.id)).join(Device, Device.id == Visit.swap_device_id)
        .where(Visit.kind == VisitKind.SWAP, Visit.status == VisitStatus.DONE, Visit.finished_at >= start,
               Visit.finished_at < end)
        .group_by(Device.model_id)).all())


def model_figures(session: Session, *, start: dt.datetime, end: dt.datetime,
                  now: dt.datetime | None = None) -> list[ModelFigures]:
    """Per model for [start, end); time after `now` has not happened yet and counts no device-months."""
    end = min(end, now) if now is not None else end
    if end <= start:
        end = start
    exposure = exposure_seconds_by_model(session, start, end)
    faults = faults_by_model(session, start, end)
    swaps = swaps_by_model(session, start, end)
    models = session.execute(select(DeviceModel.id, DeviceModel.name).order_by(DeviceModel.name)).all()
    return [ModelFigures(model_id, name, round(exposure.get(model_id, 0.0) / MONTH_SECONDS, 2),
                         faults.get(model_id, 0), swaps.get(model_id, 0))
            for model_id, name in models if exposure.get(model_id) or faults.get(model_id) or swaps.get(model_id)]
