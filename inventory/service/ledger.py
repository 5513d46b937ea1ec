"""The one place a device's holder or status changes: a ledger row, the custody interval and the device's
current state, written together in the caller's transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from inventory.models import Custody, Device, DeviceStatus, Holder, HolderKind, Movement, MovementKind
from inventory.service import readiness
from inventory.transitions import DEVICE_STATUS
from servicecenter import events
from servicecenter.courses import journey
from servicecenter.errors import N_, DomainError
from servicecenter.events import EventType
from servicecenter.statuses import transition


def move(
    session: Session,
    device: Device,
    *,
    kind: MovementKind,
    to_holder: Holder,
    to_status: DeviceStatus,
    actor,
    now: dt.datetime,
    occurred_at: dt.datetime | None = None,
    kit_id: int | None = None,
    visit_id: int | None = None,
    ticket_id: int | None = None,
    note: str | None = None,
) -> Movement:
    occurred = occurred_at or now
    if occurred < device.last_moved_at:
        raise DomainError(N_("A movement cannot be dated before the device's last movement."))
    from_holder_id, from_status = device.holder_id, device.status
    device.last_moved_at = occurred
    device.holder_id = to_holder.id  # set before the status change flushes, so the device is updated once
    if to_status != from_status:
        transition(session, device, to_status, table=DEVICE_STATUS, actor=actor, now=now,
                   citizen_id=to_holder.citizen_id or (
                       _citizen_of(session, from_holder_id) if from_status == DeviceStatus.AT_CITIZEN else None))
    movement = Movement(
        device_id=device.id, kind=kind, from_holder_id=from_holder_id, to_holder_id=to_holder.id,
        from_status=from_status, to_status=to_status, occurred_at=occurred, recorded_at=now,
        actor_id=getattr(actor, "id", None), kit_id=kit_id, visit_id=visit_id, ticket_id=ticket_id, note=note,
    )
    session.add(movement)
    session.flush()
    events.publish(session, EventType.DEVICE_MOVED, {
        "device_id": device.id, "movement_id": movement.id, "kind": kind.value,
        "from_status": from_status.value, "to_status": to_status.value}, now=now)
    if device.kit_id is not None and DeviceStatus.READY in (from_status, to_status):  # else the kit's cannot change
        readiness.touch(session, [device.kit_id])
    if to_holder.id != from_holder_id:
        _hand_custody(session, device, to_holder, movement, occurred)
        # Into or out of a home: the course follows (active when set up, ended when the last device is back).
        homes = {h.course_id for h in (session.get(Holder, from_holder_id), to_holder) if h is not None}
        journey.follow_ids(session, homes - {None}, actor=actor, now=now)
    return movement


def register(session: Session, device: Device, *, holder: Holder, actor, now: dt.datetime,
             kind: MovementKind = MovementKind.RECEIVE) -> Movement:
    """The first ledger row of a new device: it arrives at a holder in its first status."""
    movement = Movement(device_id=device.id, kind=kind, from_holder_id=None, to_holder_id=holder.id,
                        from_status=None, to_status=device.status, occurred_at=now, recorded_at=now,
                        actor_id=getattr(actor, "id", None))
    session.add(movement)
    session.flush()
    session.add(Custody(device_id=device.id, holder_id=holder.id, citizen_id=holder.citizen_id, started_at=now,
                        movement_id=movement.id))
    return movement


def _hand_custody(session: Session, device: Device, to_holder: Holder, movement: Movement,
                  occurred: dt.datetime) -> None:
    session.execute(
        update(Custody).where(Custody.device_id == device.id, Custody.ended_at.is_(None)).values(ended_at=occurred)
    )
    session.add(Custody(device_id=device.id, holder_id=to_holder.id, citizen_id=to_holder.citizen_id,
                        started_at=occurred, movement_id=movement.id))


def _citizen_of(session: Session, holder_id: int) -> int | None:
    return session.scalar(select(Holder.citizen_id).where(Holder.id == holder_id))


def singleton_holder(session: Session, kind: HolderKind, name: str) -> Holder:
    """The one holder of a kind that needs no more than one (lost, scrapped)."""
    holder = session.scalar(select(Holder).where(Holder.kind == kind).order_by(Holder.id).limit(1))
    if holder is None:
        holder = Holder(kind=kind, name=name)
        session.add(holder)
        session.flush()
    return holder


def cleaning_holder(session: Session, depot: Holder) -> Holder:
    holder = session.scalar(select(Holder).where(Holder.kind == HolderKind.CLEANING, Holder.depot_id == depot.id))
    if holder is None:
        holder = Holder(kind=HolderKind.CLEANING, name=f"{depot.name}: rengøring", depot_id=depot.id)
        session.add(holder)
        session.flush()
    return holder


def depot_of(session: Session, holder: Holder) -> Holder | None:
    if holder.kind == HolderKind.DEPOT:
        return holder
    return session.get(Holder, holder.depot_id) if holder.depot_id else None
