"""Stock: ready kits per depot and programme against the minimum, and the low-stock list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from inventory.models import (
    Device,
    DeviceCategory,
    DeviceStatus,
    Holder,
    Kit,
    KitTemplate,
    StockMinimum,
)
from inventory.service.readiness import ready_kit_rows
from servicecenter.audit.service import record_event
from servicecenter.courses.models import Programme

CATEGORIES = tuple(DeviceCategory)


@dataclass(frozen=True)
class StockLine:
    depot: Holder
    programme: Programme
    ready_kits: int
    minimum: int

    @property
    def is_low(self) -> bool:
        return self.ready_kits < self.minimum


def ready_kits(session: Session, *, depot_id: int, programme_id: int) -> list[Kit]:
    """Complete kits for the programme, every member ready on the depot's shelf: what a setup can reserve."""
    rows = session.execute(ready_kit_rows(Holder.id == depot_id, KitTemplate.programme_id == programme_id)
                           .order_by(Kit.id)).all()
    return [session.get(Kit, kit_id) for kit_id, *_ in rows]


def ready_spare(session: Session, *, depot_id: int, model_id: int) -> Device | None:
    """A ready device of the model outside any kit, on the depot's shelf or one of its bins, not reserved."""
    places = select(Holder.id).where(or_(Holder.id == depot_id, Holder.depot_id == depot_id))
    return session.scalar(select(Device).where(
        Device.model_id == model_id, Device.status == DeviceStatus.READY, Device.kit_id.is_(None),
        Device.reserved_for_id.is_(None), Device.holder_id.in_(places)).order_by(Device.id).limit(1))


def ready_kits_by_depot(session: Session) -> dict[tuple[int, int], int]:
    """(depot id, programme id) -> complete kits whose members are all ready and all on the same depot's shelf: the
    kits' derived `ready_at_id` (kept by every move, pack and unpack; `flask inventory verify` proves it), so the
    count reads the ready kits' index entries, not every ready device."""
    return {(depot_id, programme_id): n for depot_id, programme_id, n in session.execute(
        select(Kit.ready_at_id, KitTemplate.programme_id, func.count())
        .join(KitTemplate, KitTemplate.id == Kit.template_id).where(Kit.ready_at_id.is_not(None))
        .group_by(Kit.ready_at_id, KitTemplate.programme_id))}


def stock_lines(session: Session, *, counts: dict[tuple[int, int], int] | None = None) -> list[StockLine]:
    """Every depot's minimum per programme with its ready kits (`counts`: those of `ready_kits_by_depot`, if read)."""
    counts = ready_kits_by_depot(session) if counts is None else counts
    stmt = (select(StockMinimum, Holder, Programme).join(Holder, Holder.id == StockMinimum.depot_id)
            .join(Programme, Programme.id == StockMinimum.programme_id).order_by(Holder.name, Programme.name))
    return [StockLine(depot, programme, counts.get((depot.id, programme.id), 0), minimum.minimum)
            for minimum, depot, programme in session.execute(stmt)]


def low_stock(session: Session) -> list[StockLine]:
    return [line for line in stock_lines(session) if line.is_low]


def set_minimum(session: Session, *, actor, now: dt.datetime, depot_id: int, programme_id: int,
                minimum: int) -> StockMinimum:
    row = session.scalar(select(StockMinimum).where(StockMinimum.depot_id == depot_id,
                                                    StockMinimum.programme_id == programme_id))
    if row is None:
        row = StockMinimum(depot_id=depot_id, programme_id=programme_id, minimum=minimum)
        session.add(row)
    row.minimum = minimum
    session.flush()
    record_event(session, actor=actor, action="stock_minimum.set", entity_type="stock_minimum", entity_id=row.id,
                 now=now, detail={"minimum": minimum})
    return row
