"""Figures for the knowledge center: device faults per device model per 100 device-months, and swaps per model.

A device-month is a device at a citizen for 30.44 days (custody intervals from the ledger, clipped to the period);
a fault is a "device fault" ticket about a device of that model opened in the period; a swap is a swap visit for
a device of that model done in the period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from dispatch.models import Visit, VisitKind, VisitStatus
from inventory.models import Custody, Device, DeviceModel
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


def _seconds(session: Session, start, end):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400


def model_figures(session: Session, *, start: dt.datetime, end: dt.datetime,
                  now: dt.datetime | None = None) -> list[ModelFigures]:
    """Per model for [start, end); time after `now` has not happened yet and counts no device-months."""
    end = min(end, now) if now is not None else end
    if end <= start:
        end = start
    first, last = literal(start, UTCDateTime()), literal(end, UTCDateTime())
    clip_start = case((Custody.started_at < first, first), else_=Custody.started_at)
    clip_end = case((Custody.ended_at.is_(None), last), (Custody.ended_at > last, last), else_=Custody.ended_at)
    exposure = dict(session.execute(
        select(Device.model_id, func.sum(_seconds(session, clip_start, clip_end)))
        .join(Custody, Custody.device_id == Device.id)
        .where(Custody.citizen_id.is_not(None), Custody.started_at < last,
               (Custody.ended_at.is_(None)) | (Custody.ended_at > first))
        .group_by(Device.model_id)).all())
    faults = dict(session.execute(
        select(Device.model_id, func.count(Ticket.id)).join(Device, Device.id == Ticket.device_id)
        .where(Ticket.category == Category.DEVICE_FAULT, Ticket.merged_into_id.is_(None),
               Ticket.opened_at >= first, Ticket.opened_at < last)
        .group_by(Device.model_id)).all())
    swaps = dict(session.execute(
        select(Device.model_id, func.count(Visit.id)).join(Device, Device.id == Visit.swap_device_id)
        .where(Visit.kind == VisitKind.SWAP, Visit.status == VisitStatus.DONE, Visit.finished_at >= first,
               Visit.finished_at < last)
        .group_by(Device.model_id)).all())
    models = session.execute(select(DeviceModel.id, DeviceModel.name).order_by(DeviceModel.name)).all()
    return [ModelFigures(model_id, name, round(float(exposure.get(model_id) or 0) / MONTH_SECONDS, 2),
                         faults.get(model_id, 0), swaps.get(model_id, 0))
            for model_id, name in models if exposure.get(model_id) or faults.get(model_id) or swaps.get(model_id)]
