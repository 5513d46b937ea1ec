"""Stock: ready kits per depot and programme against the minimum, and the low-stock list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from inventory.models import (
    Device,
    DeviceCategory,
    DeviceModel,
    DeviceStatus,
    Holder,
    HolderKind,
    Kit,
    KitTemplate,
    KitTemplateItem,
    StockMinimum,
)
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


def _ready_kit_rows(*conditions):
    """SELECT (kit id, depot id, template id, programme id) of complete kits whose members are all ready on one depot's
    shelf, in one statement whose work is bounded by the ready stock, not by the number of kits out in homes: only
    ready devices are grouped by kit (devices.status is indexed), a kit counts when they are all its members (one
    index count per kit) and on one holder, and completeness (every item of the template, per category) is compared
    in SQL rather than by sending thousands of kit ids back in an IN list."""
    member = aliased(Device)
    members = select(func.count()).select_from(member).where(member.kit_id == Device.kit_id).scalar_subquery()
    per_kit = (
        select(Device.kit_id, func.min(Device.holder_id).label("holder_id"),
               *(func.sum(case((DeviceModel.category == c, 1), else_=0)).label(f"have_{c.value}") for c in CATEGORIES))
        .join(DeviceModel, DeviceModel.id == Device.model_id)
        .where(Device.status == DeviceStatus.READY, Device.kit_id.is_not(None))
        .group_by(Device.kit_id)
        .having(func.count(func.distinct(Device.holder_id)) == 1, func.count() == members)
        .subquery()
    )
    wanted = (
        select(KitTemplateItem.template_id,
               *(func.sum(case((KitTemplateItem.category == c, KitTemplateItem.quantity), else_=0))
                 .label(f"want_{c.value}") for c in CATEGORIES))
        .group_by(KitTemplateItem.template_id)
        .subquery()
    )
    complete = [per_kit.c[f"have_{c.value}"] >= func.coalesce(wanted.c[f"want_{c.value}"], 0) for c in CATEGORIES]
    return (
        select(per_kit.c.kit_id, per_kit.c.holder_id.label("depot_id"), Kit.template_id, KitTemplate.programme_id)
        .join(Kit, Kit.id == per_kit.c.kit_id).join(KitTemplate, KitTemplate.id == Kit.template_id)
        .outerjoin(wanted, wanted.c.template_id == Kit.template_id)
        .join(Holder, Holder.id == per_kit.c.holder_id).where(Holder.kind == HolderKind.DEPOT, *complete, *conditions)
    )


def ready_kits(session: Session, *, depot_id: int, programme_id: int) -> list[Kit]:
    """Complete kits for the programme, every member ready on the depot's shelf: what a setup can reserve."""
    rows = session.execute(_ready_kit_rows(Holder.id == depot_id, KitTemplate.programme_id == programme_id)
                           .order_by(Kit.id)).all()
    return [session.get(Kit, kit_id) for kit_id, *_ in rows]


def ready_spare(session: Session, *, depot_id: int, model_id: int) -> Device | None:
    """A ready device of the model outside any kit, on the depot's shelf or one of its bins, not reserved."""
    places = select(Holder.id).where(or_(Holder.id == depot_id, Holder.depot_id == depot_id))
    return session.scalar(select(Device).where(
        Device.model_id == model_id, Device.status == DeviceStatus.READY, Device.kit_id.is_(None),
        Device.reserved_for_id.is_(None), Device.holder_id.in_(places)).order_by(Device.id).limit(1))


def ready_kits_by_depot(session: Session) -> dict[tuple[int, int], int]:
    """(depot id, programme id) -> complete kits whose members are all ready and all on the same depot's shelf,
    counted in SQL (a line per depot and programme comes back, not a row per kit)."""
    kits = _ready_kit_rows().subquery()
    return {(depot_id, programme_id): n for depot_id, programme_id, n in session.execute(
        select(kits.c.depot_id, kits.c.programme_id, func.count()).group_by(kits.c.depot_id, kits.c.programme_id))}


def stock_lines(session: Session) -> list[StockLine]:
    counts = ready_kits_by_depot(session)
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
