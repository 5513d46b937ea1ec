"""Kits: pack by scanning against the programme's template, swap a member, and find split kits."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.models import Device, DeviceStatus, Holder, Kit, KitMembership, KitTemplate
from inventory.service import readiness
from inventory.service.catalog import next_tag
from inventory.service.operations import OPERATIONS, Context, apply, leave_kit, lock_device
from inventory.tags import parse_tag
from servicecenter.audit.service import record_event
from servicecenter.errors import N_, DomainError, NotFound

PACKABLE = {DeviceStatus.READY, DeviceStatus.RESERVED}


def create_kit(session: Session, *, template: KitTemplate, actor, now: dt.datetime) -> Kit:
    kit = Kit(tag=next_tag(session, "K"), template_id=template.id, created_at=now)
    session.add(kit)
    session.flush()
    record_event(session, actor=actor, action="kit.create", entity_type="kit", entity_id=kit.id, now=now)
    return kit


def get_kit(session: Session, tag_or_id: str | int) -> Kit:
    kit = (session.get(Kit, tag_or_id) if isinstance(tag_or_id, int)
           else session.scalar(select(Kit).where(Kit.tag == parse_tag(tag_or_id))))
    if kit is None:
        raise NotFound(N_("No such kit."))
    return kit


@dataclass(frozen=True)
class PackingState:
    missing: dict[str, int]  # category -> how many more the template wants
    members: list[Device]

    @property
    def complete(self) -> bool:
        return not self.missing


def packing_state(session: Session, kit: Kit) -> PackingState:
    members = list(session.scalars(select(Device).where(Device.kit_id == kit.id).order_by(Device.id)))
    have = Counter(d.model.category.value for d in members)
    missing = {item.category.value: item.quantity - have[item.category.value]
               for item in kit.template.items if item.quantity > have[item.category.value]}
    return PackingState(missing, members)


def lock_kit(session: Session, kit: Kit) -> Kit:
    """Take the kit row for this transaction, so two people packing or moving the same kit take turns."""
    return session.scalar(select(Kit).where(Kit.id == kit.id).with_for_update(of=Kit))


def pack(session: Session, kit: Kit, code: str, *, actor, now: dt.datetime) -> Device:
    """Add a scanned device to a kit: ready, not in another kit, and a category the template still wants."""
    kit = lock_kit(session, kit)
    device = lock_device(session, parse_tag(code))
    if device is None:
        raise DomainError(N_("%(tag)s is not registered."), field="code", tag=code.strip().upper())
    if device.kit_id == kit.id:
        return device
    if device.kit_id is not None:
        raise DomainError(N_("%(tag)s is already in another kit."), field="code", tag=device.tag)
    if device.status not in PACKABLE:
        raise DomainError(N_("%(tag)s is not ready: only clean, tested devices are packed."), field="code",
                          tag=device.tag)
    state = packing_state(session, kit)
    if state.members and device.holder_id != state.members[0].holder_id:
        raise DomainError(N_("%(tag)s is somewhere else than the rest of the kit."), field="code", tag=device.tag)
    _check_wanted(state, device)
    home = _reserved_for(session, state.members)
    if home is not None:  # the kit is set aside for a citizen's visit: so is what completes it
        apply(session, OPERATIONS["reserve"], device, Context(actor=actor, now=now, reserve_for=home))
    return _add_member(session, kit, device, actor=actor, now=now)


def _reserved_for(session: Session, members: list[Device]) -> Holder | None:
    homes = {d.reserved_for_id for d in members if d.reserved_for_id is not None}
    return session.get(Holder, homes.pop()) if len(homes) == 1 else None


def _check_wanted(state: PackingState, device: Device) -> None:
    if state.missing.get(device.model.category.value, 0) <= 0:
        raise DomainError(N_("Extra item: the kit needs no more of this kind (%(tag)s)."), field="code",
                          tag=device.tag)


def _add_member(session: Session, kit: Kit, device: Device, *, actor, now: dt.datetime) -> Device:
    device.kit_id = kit.id
    session.add(KitMembership(kit_id=kit.id, device_id=device.id, added_at=now))
    readiness.touch(session, [kit.id])
    record_event(session, actor=actor, action="kit.pack", entity_type="kit", entity_id=kit.id, now=now,
                 detail={"device": device.tag})
    return device


def remove_from_kit(session: Session, kit: Kit, device: Device, *, actor, now: dt.datetime) -> None:
    """Take a device out of its kit; if the kit is set aside for a citizen, the device no longer is."""
    lock_kit(session, kit)
    if device.kit_id != kit.id:
        raise DomainError(N_("%(tag)s is not in this kit."), field="code", tag=device.tag)
    if device.reserved_for_id is not None and device.status in (DeviceStatus.RESERVED, DeviceStatus.IN_VAN):
        apply(session, OPERATIONS["release"], device, Context(actor=actor, now=now, note="taken out of its kit"))
    leave_kit(session, device, actor=actor, now=now, why="unpack")


def swap_member(session: Session, kit: Kit, out_code: str, in_code: str, *, actor, now: dt.datetime) -> Device:
    """Replace one member (a faulty scale, say) by another of the same kind at the depot; both keep their histories.
    A member in a citizen's home is swapped on a swap visit, where the technician collects and delivers at the
    door (the kit follows when the visit is done)."""
    kit = lock_kit(session, kit)
    out = lock_device(session, parse_tag(out_code))
    if out is None or out.kit_id != kit.id:
        raise DomainError(N_("%(tag)s is not in this kit."), field="code", tag=out_code.strip().upper())
    if out.status == DeviceStatus.AT_CITIZEN:
        raise DomainError(N_("%(tag)s is in a citizen's home: it is swapped on a swap visit (escalate the ticket)."),
                          field="code", tag=out.tag)
    remove_from_kit(session, kit, out, actor=actor, now=now)
    session.flush()
    return pack(session, kit, in_code, actor=actor, now=now)


def replace_member(session: Session, kit: Kit, out: Device, new: Device, *, actor, now: dt.datetime) -> None:
    """After a swap at the door (each device scanned on its own, collected and delivered): the kit's membership
    follows, so the kit is whole again in the home and the faulty device is no longer counted as missing from it."""
    kit = lock_kit(session, kit)
    if out.kit_id != kit.id:
        raise DomainError(N_("%(tag)s is not in this kit."), field="code", tag=out.tag)
    if new.kit_id is not None:
        raise DomainError(N_("%(tag)s is already in another kit."), field="code", tag=new.tag)
    if new.model.category != out.model.category:
        raise DomainError(N_("%(tag)s is not the same kind of device."), field="code", tag=new.tag)
    remove_from_kit(session, kit, out, actor=actor, now=now)
    session.flush()
    _add_member(session, kit, new, actor=actor, now=now)


def kit_holders(session: Session, kit: Kit) -> dict[int, list[Device]]:
    placed: dict[int, list[Device]] = {}
    for device in session.scalars(select(Device).where(Device.kit_id == kit.id).order_by(Device.id)):
        placed.setdefault(device.holder_id, []).append(device)
    return placed


def split_kits(session: Session, *, limit: int = 100) -> list[tuple[Kit, list[Device]]]:
    """Kits whose members are not all in one place: a partial return. Returns each with its members, so the
    page can say which are still out."""
    split_ids = session.scalars(
        select(Device.kit_id).where(Device.kit_id.is_not(None)).group_by(Device.kit_id)
        .having(func.count(func.distinct(Device.holder_id)) > 1).limit(limit)
    ).all()
    members: dict[int, list[Device]] = {}
    for device in session.scalars(select(Device).where(Device.kit_id.in_(split_ids)).order_by(Device.id)):
        members.setdefault(device.kit_id, []).append(device)
    return [(kit, members.get(kit.id, [])) for kit in session.scalars(select(Kit).where(Kit.id.in_(split_ids))
                                                                      .order_by(Kit.id))]


def tags_behind(session: Session, tag: str) -> set[str]:
    """The device tags a scanned label stands for: a kit's label stands for its members."""
    if tag[0] != "K":
        return {tag}
    return set(session.scalars(select(Device.tag).join(Kit, Kit.id == Device.kit_id).where(Kit.tag == tag)))
