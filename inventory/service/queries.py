"""Reading the ledger: a device's timeline and sign-offs, where a device was at a time (and from when to when),
what a citizen held at a time, what a holder holds now, finding a device by tag or serial, and the recall question
(every citizen who holds or held model M with firmware F)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from inventory.models import Custody, Device, DeviceModel, DeviceStatus, Holder, HolderKind, Movement, Signoff
from inventory.tags import parse_tag
from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import User
from servicecenter.citizens.models import Citizen
from servicecenter.errors import N_, DomainError, NotFound


def get_device(session: Session, tag: str) -> Device:
    device = session.scalar(select(Device).where(Device.tag == parse_tag(tag)))
    if device is None:
        raise NotFound(N_("No such device."))
    return device


def get_device_by_id(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(N_("No such device."))
    return device


def device_timeline(session: Session, device_id: int, *, page: int = 1, per_page: int = 50) -> list[tuple]:
    """Movements newest first, with the names of both holders and of the person who recorded it (joins, no
    query per row). The movement's note is the reason given for a fault, a loss or a scrapping."""
    source, target = Holder.__table__.alias("src"), Holder.__table__.alias("dst")
    stmt = (
        select(Movement, source.c.name, target.c.name, User.full_name)
        .outerjoin(source, source.c.id == Movement.from_holder_id)
        .join(target, target.c.id == Movement.to_holder_id)
        .outerjoin(User, User.id == Movement.actor_id)
        .where(Movement.device_id == device_id)
        .order_by(Movement.occurred_at.desc(), Movement.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )
    return list(session.execute(stmt))


def device_signoffs(session: Session, device_id: int, *, limit: int = 100) -> list[tuple[Signoff, str | None]]:
    """Cleaning, function-test and calibration sign-offs, newest first, with who signed."""
    return list(session.execute(
        select(Signoff, User.full_name).outerjoin(User, User.id == Signoff.actor_id)
        .where(Signoff.device_id == device_id).order_by(Signoff.at.desc(), Signoff.id.desc()).limit(limit)))


def firmware_history(session: Session, device_id: int, *, limit: int = 20) -> list[tuple[AuditEvent, str | None]]:
    """Firmware/app version changes recorded by hand, newest first (the audit rows: one indexed range)."""
    return list(session.execute(
        select(AuditEvent, User.full_name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.entity_type == "device", AuditEvent.entity_id == device_id,
               AuditEvent.action == "device.firmware")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


def _open_at(at: dt.datetime):
    return and_(Custody.started_at <= at, or_(Custody.ended_at.is_(None), Custody.ended_at > at))


def holder_at(session: Session, device_id: int, at: dt.datetime) -> Holder | None:
    """Where device X was at time T: the custody interval that contains T."""
    holder_id = session.scalar(
        select(Custody.holder_id).where(Custody.device_id == device_id, _open_at(at))
        .order_by(Custody.started_at.desc(), Custody.id.desc()).limit(1)
    )
    return session.get(Holder, holder_id) if holder_id else None


@dataclass(frozen=True)
class CustodyAt:
    holder: Holder
    started_at: dt.datetime
    ended_at: dt.datetime | None  # None: still there


def custody_at(session: Session, device_id: int, at: dt.datetime) -> CustodyAt | None:
    """Where device X was at time T, and from when until when it was there (the custody interval)."""
    row = session.execute(
        select(Holder, Custody.started_at, Custody.ended_at).join(Custody, Custody.holder_id == Holder.id)
        .where(Custody.device_id == device_id, _open_at(at))
        .order_by(Custody.started_at.desc(), Custody.id.desc()).limit(1)
    ).first()
    return CustodyAt(*row) if row else None


def held_by_citizen_at(session: Session, citizen_id: int, at: dt.datetime) -> list[Device]:
    """What citizen Y held at time T."""
    ids = select(Custody.device_id).where(Custody.citizen_id == citizen_id, _open_at(at))
    return list(session.scalars(select(Device).where(Device.id.in_(ids)).order_by(Device.tag)))


def holdings(session: Session, holder_id: int, *, page: int = 1, per_page: int = 100) -> list[Device]:
    return list(session.scalars(select(Device).where(Device.holder_id == holder_id).order_by(Device.tag)
                                .limit(per_page).offset((page - 1) * per_page)))


def holding_counts(session: Session) -> list[tuple[Holder, int]]:
    """What each holder holds now (not citizens' homes: they are many and shown per citizen)."""
    places = select(Holder.id).where(Holder.kind != HolderKind.COURSE)
    counts = (select(Device.holder_id, func.count().label("n")).where(Device.holder_id.in_(places))
              .group_by(Device.holder_id).subquery())
    stmt = (select(Holder, counts.c.n).join(counts, counts.c.holder_id == Holder.id)
            .order_by(Holder.kind, Holder.name))
    return list(session.execute(stmt))


def recall(session: Session, *, model_id: int, firmware: str | None, limit: int = 500) -> list[tuple]:
    """Every citizen who holds or held a device of this model (and current firmware, if given): citizen, device,
    from, until (None: still there). Firmware history is not kept, so the filter uses today's firmware."""
    stmt = (
        select(Citizen, Device, Custody.started_at, Custody.ended_at)
        .join(Custody, Custody.citizen_id == Citizen.id)
        .join(Device, Device.id == Custody.device_id)
        .where(Device.model_id == model_id)
        .order_by(Custody.ended_at.is_not(None), Citizen.last_name_key, Citizen.first_name_key, Custody.started_at)
    )
    if firmware:
        stmt = stmt.where(Device.firmware_version == firmware)
    return list(session.execute(stmt.limit(limit)))


def find_devices(session: Session, text: str, *, limit: int = 50) -> Device | list[Device]:
    """A device tag finds its device; anything else is a serial number, which is unique per model only, so it
    lists every model's device with that serial. The models are named in the condition so the lookup walks the
    (model, serial) index on both databases instead of reading the table."""
    try:
        return get_device(session, text)
    except DomainError:
        pass
    serial = text.strip()
    model_ids = list(session.scalars(select(DeviceModel.id)))
    if not serial or not model_ids:
        return []
    return list(session.scalars(select(Device).options(joinedload(Device.owner))
                                .where(Device.model_id.in_(model_ids), Device.serial == serial)
                                .order_by(Device.tag).limit(limit)))


def list_devices(session: Session, *, status: DeviceStatus | None = None, model_id: int | None = None,
                 holder_id: int | None = None, page: int = 1, per_page: int = 50) -> tuple[list[Device], bool]:
    """A page of devices in tag order, each with its model, place and owner (joined: no query per row)."""
    stmt = select(Device).options(joinedload(Device.owner))
    if status:
        stmt = stmt.where(Device.status == status)
    if model_id:
        stmt = stmt.where(Device.model_id == model_id)
    if holder_id:
        stmt = stmt.where(Device.holder_id == holder_id)
    rows = list(session.scalars(stmt.order_by(Device.tag).limit(per_page + 1).offset((page - 1) * per_page)))
    return rows[:per_page], len(rows) > per_page


def list_models(session: Session) -> list[DeviceModel]:
    return list(session.scalars(select(DeviceModel).order_by(DeviceModel.category, DeviceModel.name)))
