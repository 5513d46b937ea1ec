"""Reservations: devices set aside for a citizen's home (a kit for a setup visit, a replacement for a swap) go into
no other home; at the door a technician may give a device of the same model instead, which moves the reservation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from inventory.models import Device, DeviceStatus, Holder, Kit
from inventory.service.kits import _add_member, get_kit, lock_kit
from inventory.service.operations import OPERATIONS, Context, apply, leave_kit, lock_device, lock_kit_members
from inventory.service.scanning import ScanResult, scan
from inventory.tags import parse_tag
from servicecenter.audit.service import record_event
from servicecenter.errors import N_, DomainError

SWAPPABLE = (DeviceStatus.READY, DeviceStatus.IN_VAN)


def reserve(session: Session, code: str, *, home: Holder, actor, now: dt.datetime,
            visit_id: int | None = None) -> ScanResult:
    """Set a kit (every member) or one device aside for the home."""
    return scan(session, "reserve", code, Context(actor=actor, now=now, reserve_for=home, visit_id=visit_id))


def release(session: Session, code: str, *, actor, now: dt.datetime, visit_id: int | None = None,
            note: str | None = None) -> int:
    """Give a reservation up: the devices are ordinary stock again where they are. A kit's label releases those of
    its members still reserved (one replaced at the door, or reported faulty, already left it). Returns how many."""
    tag = parse_tag(code)
    ctx = Context(actor=actor, now=now, visit_id=visit_id, note=note)
    if tag[0] != "K":
        return scan(session, "release", tag, ctx).moved
    kit = lock_kit(session, get_kit(session, tag))
    members = [d for d in lock_kit_members(session, kit) if d.reserved_for_id is not None]
    return sum(apply(session, OPERATIONS["release"], d, ctx, kit_id=kit.id).movement is not None for d in members)


def replace_reserved(session: Session, out_tag: str, in_code: str, *, reason: str, actor, now: dt.datetime,
                     visit_id: int | None = None) -> Device:
    """Another device of the same model takes a reserved device's place: the reservation (and the kit
    membership) move to it, with the reason, in one transaction. Returns the new device, reserved for the home."""
    if not reason.strip():
        raise DomainError(N_("Write why the reserved device is replaced."), field="reason")
    out = lock_device(session, parse_tag(out_tag))
    if out is None or out.reserved_for_id is None:
        raise DomainError(N_("%(tag)s is not reserved."), field="replaces", tag=out_tag.strip().upper())
    new = lock_device(session, parse_tag(in_code))
    _check_replacement(out, new, in_code)
    home = session.get(Holder, out.reserved_for_id)
    kit = lock_kit(session, session.get(Kit, out.kit_id)) if out.kit_id else None
    note = reason.strip()[:500]
    apply(session, OPERATIONS["release"], out, Context(actor=actor, now=now, visit_id=visit_id, note=note))
    if kit is not None:
        leave_kit(session, out, actor=actor, now=now, why="replaced")
        session.flush()
        _add_member(session, kit, new, actor=actor, now=now)
    apply(session, OPERATIONS["reserve"], new, Context(actor=actor, now=now, reserve_for=home, visit_id=visit_id,
                                                       note=note))
    record_event(session, actor=actor, action="reservation.replace", entity_type="device", entity_id=new.id,
                 citizen_id=home.citizen_id, now=now, detail={"out": out.tag, "in": new.tag, "reason": note})
    return new


def _check_replacement(out: Device, new: Device | None, code: str) -> None:
    if new is None:
        raise DomainError(N_("%(tag)s is not registered."), field="code", tag=code.strip().upper()[:20])
    if new.id == out.id:
        raise DomainError(N_("Scan the device that replaces %(tag)s, not the reserved one."), field="code",
                          tag=out.tag)
    if new.model_id != out.model_id:
        raise DomainError(N_("%(tag)s is not the same model as %(out)s (%(model)s)."), field="code", tag=new.tag,
                          out=out.tag, model=str(out.model))
    if new.reserved_for_id is not None:
        raise DomainError(N_("%(tag)s is reserved for another citizen's visit."), field="code", tag=new.tag)
    if new.kit_id is not None:
        raise DomainError(N_("%(tag)s belongs to another kit: take a loose device."), field="code", tag=new.tag)
    if new.status not in SWAPPABLE:
        raise DomainError(N_("Only a ready device (cleaned and tested) can go to a citizen."), field="code")
