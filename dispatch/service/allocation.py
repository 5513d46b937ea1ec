"""Allocation: a setup reserves a complete ready kit at a depot for the citizen's home, a swap reserves a ready
device of the faulty one's model; cancelling gives them back. What is reserved is what the technician delivers
(the route sheet's loading list and the door read it from here)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dispatch.models import Visit, VisitKind, VisitStatus
from inventory import service as inventory
from inventory.models import HolderKind
from servicecenter.courses import journey
from servicecenter.errors import N_, DomainError

RESERVABLE = (VisitStatus.REQUESTED, VisitStatus.REQUEUED, VisitStatus.SCHEDULED)


def depot_skill(depot_id: int) -> str:
    return f"depot:{depot_id}"


def _from_depot(visit: Visit, depot_id: int) -> None:
    """The visit can then only go to a technician working from that depot (its van loads there)."""
    visit.skills = [s for s in visit.skills if not s.startswith("depot:")] + [depot_skill(depot_id)]


def _open_for_reservation(visit: Visit) -> None:
    if visit.status not in RESERVABLE:
        raise DomainError(N_("The visit is no longer open."))
    if visit.course.end_reason is not None:
        raise DomainError(N_("The course has ended."))


def allocate_kit(session: Session, visit: Visit, *, depot_id: int, actor, now: dt.datetime):
    """Reserve a complete ready kit of the course's programme at the depot for this setup's home (all members in
    one transaction)."""
    if visit.kind != VisitKind.SETUP:
        raise DomainError(N_("Only a setup visit gets a kit."))
    _open_for_reservation(visit)
    if visit.kit_id is not None:
        raise DomainError(N_("A kit is already reserved for this visit."))
    kits = inventory.ready_kits(session, depot_id=depot_id, programme_id=visit.course.programme_id)
    if not kits:
        raise DomainError(N_("No complete, ready kit for %(programme)s at this depot."), field="depot_id",
                          programme=visit.course.programme.name)
    kit = kits[0]
    home = inventory.course_holder(session, visit.course)
    inventory.reserve(session, kit.tag, home=home, actor=actor, now=now, visit_id=visit.id)
    visit.kit_id = kit.id
    _from_depot(visit, depot_id)
    journey.follow(session, visit.course, actor=actor, now=now)
    return kit


def allocate_replacement(session: Session, visit: Visit, *, depot_id: int, actor, now: dt.datetime):
    """Reserve a ready device of the faulty device's model at the depot for a swap, so it is on the van-loading
    list."""
    if visit.kind != VisitKind.SWAP or visit.swap_device_id is None:
        raise DomainError(N_("Only a swap visit gets a replacement device."))
    _open_for_reservation(visit)
    if visit.replacement_device_id is not None:
        raise DomainError(N_("A replacement is already reserved for this visit."))
    faulty = inventory.get_device_by_id(session, visit.swap_device_id)
    spare = inventory.ready_spare(session, depot_id=depot_id, model_id=faulty.model_id)
    if spare is None:
        raise DomainError(N_("No ready %(model)s outside a kit at this depot."), field="depot_id",
                          model=str(faulty.model))
    inventory.reserve(session, spare.tag, home=inventory.course_holder(session, visit.course), actor=actor, now=now,
                      visit_id=visit.id)
    visit.replacement_device_id = spare.id
    _from_depot(visit, depot_id)
    return spare


def reserve_nearest_spare(session: Session, visit: Visit, *, actor, now: dt.datetime):
    """The replacement for a swap from the depot nearest the citizen that has a ready one; None when none has."""
    faulty = inventory.get_device_by_id(session, visit.swap_device_id)
    citizen = visit.citizen
    for depot in sorted(inventory.list_holders(session, HolderKind.DEPOT), key=lambda d: _distance(d, citizen)):
        if inventory.ready_spare(session, depot_id=depot.id, model_id=faulty.model_id) is not None:
            return allocate_replacement(session, visit, depot_id=depot.id, actor=actor, now=now)
    return None


def _distance(depot, citizen) -> float:
    """Squared degrees, longitude scaled for Denmark's latitude: enough to rank depots; unknown ones come last."""
    if depot.latitude is None or citizen.latitude is None:
        return float("inf")
    return (depot.latitude - citizen.latitude) ** 2 + ((depot.longitude - citizen.longitude) * 0.56) ** 2


def release_reservations(session: Session, visit: Visit, *, actor, now: dt.datetime, note: str | None = None
                         ) -> None:
    """Give back what was reserved for the visit (a cancelled visit): back to ready stock where it is."""
    if visit.kit_id is not None:
        inventory.release(session, inventory.get_kit(session, visit.kit_id).tag, actor=actor, now=now,
                          visit_id=visit.id, note=note)
        visit.kit_id = None
    if visit.replacement_device_id is not None:
        spare = inventory.get_device_by_id(session, visit.replacement_device_id)
        if spare.reserved_for_id is not None:
            inventory.release(session, spare.tag, actor=actor, now=now, visit_id=visit.id, note=note)
        visit.replacement_device_id = None
    visit.skills = [s for s in visit.skills if not s.startswith("depot:")]
    journey.follow(session, visit.course, actor=actor, now=now)


def kit_tags(session: Session, visit: Visit) -> set[str]:
    """The tags of the devices in the visit's kit (what a setup must leave in the home)."""
    if visit.kit_id is None:
        return set()
    return {device.tag for device in inventory.get_kit(session, visit.kit_id).members}


def reserved_devices(session: Session, visit: Visit) -> list:
    """The devices reserved for this visit, to deliver: its kit's members, or a swap's replacement."""
    if visit.kit_id is not None:
        return list(inventory.get_kit(session, visit.kit_id).members)
    if visit.replacement_device_id is not None:
        return [inventory.get_device_by_id(session, visit.replacement_device_id)]
    return []


def needs_reservation(visit: Visit) -> bool:
    """A setup without its kit, or a swap without its replacement, cannot be delivered as it stands."""
    return (visit.kind == VisitKind.SETUP and visit.kit_id is None) or (
        visit.kind == VisitKind.SWAP and visit.swap_device_id is not None and visit.replacement_device_id is None)
