"""At the door: what a technician may scan on a visit. Delivered is only what is reserved for this visit (its kit,
a swap's replacement) — or, where the technician truly swaps a device on the spot, an explicit replacement of the
same model with a reason, which moves the reservation. Collected is only what this visit collects from this home.
Whatever is scanned, the route sheet, the kit and the reservation stay consistent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dispatch.models import Visit, VisitKind, VisitStatus
from dispatch.service import allocation
from dispatch.service.visits import KIND_LABELS, VISIT_STATUS, start
from inventory import service as inventory
from inventory.tags import parse_tag
from servicecenter.errors import N_, DomainError, Msgid

WORKABLE = (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)
DELIVERS = (VisitKind.SETUP, VisitKind.SWAP)


def scan_at_door(session: Session, visit: Visit, mode: str, code: str, *, actor, now: dt.datetime
                 ) -> inventory.ScanResult:
    """One code scanned on the visit: "deliver" into the citizen's home, "collect" into the technician's van. The
    first scan at the door starts the visit (the technician is there)."""
    _workable(visit)
    tag = parse_tag(code)
    if visit.status == VisitStatus.SCHEDULED:
        start(session, visit, actor=actor, now=now)
    home = inventory.course_holder(session, visit.course)
    if mode == "deliver":
        _may_deliver(session, visit, tag)
        return inventory.scan(session, "handover", tag,
                              inventory.Context(actor=actor, now=now, holder=home, visit_id=visit.id))
    if mode == "collect":
        _may_collect(session, visit, tag)
        return inventory.scan(session, "collect", tag, inventory.Context(
            actor=actor, now=now, holder=_van(session, visit), home=home, visit_id=visit.id))
    raise DomainError(N_("Unknown scan mode."))


def deliver_replacement(session: Session, visit: Visit, *, replaces: str, code: str, reason: str, actor,
                        now: dt.datetime) -> inventory.ScanResult:
    """The technician gives the citizen another device of the same model than a reserved one (it was faulty, or
    not in the van): the reservation and the kit move to it, audited with the reason, and it is delivered."""
    _workable(visit)
    reserved = {d.tag: d for d in allocation.reserved_devices(session, visit)}
    out = reserved.get(parse_tag(replaces)) if replaces else None
    if out is None or out.reserved_for_id is None:
        raise DomainError(N_("Choose which reserved device the new one replaces."), field="replaces")
    new = inventory.replace_reserved(session, out.tag, code, reason=reason, actor=actor, now=now,
                                     visit_id=visit.id)
    if visit.replacement_device_id == out.id:
        visit.replacement_device_id = new.id
    return scan_at_door(session, visit, "deliver", new.tag, actor=actor, now=now)


def replaceable(session: Session, visit: Visit) -> list:
    """The reserved devices not yet in the home, which a same-model device may replace at the door."""
    return [d for d in allocation.reserved_devices(session, visit) if d.reserved_for_id is not None]


def _workable(visit: Visit) -> None:
    if visit.status not in WORKABLE:
        raise DomainError(N_("The visit is %(status)s: nothing more is scanned on it."),
                          status=VISIT_STATUS.label(visit.status))


def _van(session: Session, visit: Visit):
    if visit.technician is None or visit.technician.van_id is None:
        raise DomainError(N_("You have no van in your technician profile; ask the coordinator to add it."))
    return inventory.get_holder(session, visit.technician.van_id)


def _may_deliver(session: Session, visit: Visit, tag: str) -> None:
    if visit.kind not in DELIVERS:
        raise DomainError(N_("Nothing is delivered on a %(kind)s visit."), field="code",
                          kind=Msgid(KIND_LABELS[visit.kind]))
    reserved = allocation.reserved_devices(session, visit)
    if not reserved:
        raise DomainError(N_("Nothing is reserved for this visit yet: ask the helpdesk to reserve it (%(what)s)."),
                          field="code", what=Msgid(N_("the kit") if visit.kind == VisitKind.SETUP
                                                   else N_("the replacement")))
    kit = inventory.get_kit(session, visit.kit_id) if visit.kit_id else None
    if tag in {d.tag for d in reserved} or (kit is not None and tag == kit.tag):
        return
    raise _why_not_ours(session, visit, tag, reserved)


def _why_not_ours(session: Session, visit: Visit, tag: str, reserved: list) -> DomainError:
    """The most useful refusal: another citizen's, another programme's, or a same-model device that could be given
    as an explicit replacement."""
    if tag[0] == "K":
        return DomainError(N_("Kit %(tag)s is not the kit reserved for this visit."), field="code", tag=tag)
    device = inventory.get_device(session, tag)
    if device.reserved_for_id is not None:
        return DomainError(N_("%(tag)s is reserved for another citizen's visit: deliver only what is reserved for "
                              "this one."), field="code", tag=tag)
    same = [d.tag for d in reserved if d.model_id == device.model_id and d.reserved_for_id is not None]
    if same:
        return DomainError(N_("%(tag)s is not reserved for this visit. If it replaces %(out)s, use “Deliver a "
                              "replacement for a reserved device” and say why."), field="code", tag=tag, out=same[0])
    return DomainError(N_("%(tag)s is not reserved for this visit."), field="code", tag=tag)


def _may_collect(session: Session, visit: Visit, tag: str) -> None:
    """A pickup collects anything in this home; a swap only the faulty device; a setup only a device delivered on
    it by mistake (nothing is left behind when it fails)."""
    if tag[0] == "K" or visit.kind == VisitKind.PICKUP:
        return  # a kit's label is refused by inventory (each device is scanned); a foreign device by the home check
    if visit.kind == VisitKind.SWAP and visit.swap_device_id is not None:
        faulty = inventory.get_device_by_id(session, visit.swap_device_id)
        if tag != faulty.tag:
            raise DomainError(N_("Only the faulty device %(tag)s is collected on this visit."), field="code",
                              tag=faulty.tag)
        return
    if visit.kind == VisitKind.SETUP and visit.course.activated_at is None:
        return  # undoing a delivery: only this home's devices, which this setup brought
    raise DomainError(N_("Nothing is collected on a %(kind)s visit."), field="code",
                      kind=Msgid(KIND_LABELS[visit.kind]))
