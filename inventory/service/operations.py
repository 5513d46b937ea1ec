"""What each scan does to a device: which statuses it accepts, the status and holder it leads to, and what to
tell the person when the device is not in a state for it. Scanning the same tag twice moves nothing twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, lazyload

from inventory.models import (
    Device,
    DeviceStatus,
    Holder,
    HolderKind,
    Kit,
    KitMembership,
    KitTemplate,
    KitTemplateItem,
    Movement,
    MovementKind,
    Signoff,
    SignoffKind,
)
from inventory.service import readiness
from inventory.service.ledger import cleaning_holder, depot_of, move, singleton_holder
from inventory.transitions import DEVICE_STATUS
from servicecenter.audit.service import record_event
from servicecenter.courses.models import Course
from servicecenter.errors import N_, DomainError, Msgid

S = DeviceStatus


@dataclass(frozen=True)
class Context:
    """Where the person stands and what they chose on the scan page."""

    actor: object
    now: dt.datetime
    holder: Holder | None = None  # the van, depot or course holder chosen on the page
    method: str | None = None  # cleaning or test method
    factory_reset: bool = False
    note: str | None = None
    visit_id: int | None = None  # the visit the scan belongs to (a delivery or a pickup at the door)
    reserve_for: Holder | None = None  # reserving: the home (course holder) the devices are set aside for
    home: Holder | None = None  # collecting at a door: the home the devices must come from


@dataclass(frozen=True)
class Operation:
    name: str
    kind: MovementKind
    allowed: frozenset[DeviceStatus]
    refusal: str  # msgid: what to do instead
    target_status: Callable[[Device], DeviceStatus]
    target_holder: Callable[[Session, Device, Context], Holder]
    needs: frozenset[HolderKind] = field(default_factory=frozenset)  # the context holder it needs


def _fixed(status: DeviceStatus) -> Callable[[Device], DeviceStatus]:
    return lambda _device: status


def _stay(_session: Session, device: Device, _ctx: Context) -> Holder:
    return device.holder


def _context(_session: Session, _device: Device, ctx: Context) -> Holder:
    return ctx.holder


def _cleaning(session: Session, device: Device, ctx: Context) -> Holder:
    depot = ctx.holder if ctx.holder is not None else depot_of(session, device.holder)
    if depot is None:
        raise DomainError(N_("%(tag)s is in %(place)s: unload it at a depot first."), field="code", tag=device.tag,
                          place=device.holder.name)
    return cleaning_holder(session, depot)


def _back_to_depot(session: Session, device: Device, ctx: Context) -> Holder:
    depot = ctx.holder if ctx.holder is not None else depot_of(session, device.holder)
    if depot is None:
        raise DomainError(N_("Choose the depot."), field="holder")
    return depot


OPERATIONS: dict[str, Operation] = {op.name: op for op in [
    Operation("accept", MovementKind.ACCEPT, frozenset({S.RECEIVED}),
              N_("Only a newly received device is accepted into stock."), _fixed(S.READY), _stay),
    # A device in a van can be reserved too: a replacement taken from the van at the door.
    Operation("reserve", MovementKind.RESERVE, frozenset({S.READY, S.IN_VAN}),
              N_("Only a ready device (on the shelf or in a van) can be reserved."),
              lambda d: S.IN_VAN if d.status == S.IN_VAN else S.RESERVED, _stay),
    Operation("release", MovementKind.RELEASE, frozenset({S.RESERVED, S.IN_VAN}),
              N_("Only a reserved device can be released."),
              lambda d: S.IN_VAN if d.status == S.IN_VAN else S.READY, _stay),
    Operation("load", MovementKind.LOAD, frozenset({S.READY, S.RESERVED}),
              N_("Only ready devices are loaded for delivery; a returned device goes to cleaning first."),
              _fixed(S.IN_VAN), _context, frozenset({HolderKind.VAN})),
    Operation("unload", MovementKind.UNLOAD, frozenset({S.IN_VAN, S.RETURNED, S.FAULTY}),
              N_("Only devices in a van can be unloaded."),
              lambda d: (S.RESERVED if d.reserved_for_id else S.READY) if d.status == S.IN_VAN else d.status, _context,
              frozenset({HolderKind.DEPOT})),
    Operation("handover", MovementKind.HANDOVER, frozenset({S.READY, S.RESERVED, S.IN_VAN}),
              N_("Only a ready device (cleaned and tested) can go to a citizen."),
              _fixed(S.AT_CITIZEN), _context, frozenset({HolderKind.COURSE})),
    Operation("collect", MovementKind.COLLECT, frozenset({S.AT_CITIZEN}),
              N_("Only a device at a citizen can be collected."), _fixed(S.RETURNED), _context,
              frozenset({HolderKind.VAN, HolderKind.DEPOT})),
    Operation("clean_start", MovementKind.CLEAN_START, frozenset({S.RETURNED, S.TESTING}),
              N_("Only a returned device goes into cleaning."), _fixed(S.CLEANING), _cleaning),
    Operation("clean_finish", MovementKind.CLEAN_FINISH, frozenset({S.CLEANING}),
              N_("Only a device in cleaning can be signed off as cleaned."), _fixed(S.TESTING), _stay),
    Operation("test_pass", MovementKind.TEST_PASS, frozenset({S.TESTING}),
              N_("Only a cleaned device awaiting its test can pass it."), _fixed(S.READY), _back_to_depot),
    Operation("fault", MovementKind.FAULT,
              frozenset({S.RECEIVED, S.READY, S.RESERVED, S.IN_VAN, S.RETURNED, S.CLEANING, S.TESTING}),
              N_("This device cannot be reported faulty here."), _fixed(S.FAULTY), _stay),
    Operation("repair_out", MovementKind.REPAIR_OUT, frozenset({S.FAULTY}),
              N_("Only a faulty device goes to repair."), _fixed(S.REPAIR), _context,
              frozenset({HolderKind.REPAIR})),
    Operation("repair_back", MovementKind.REPAIR_BACK, frozenset({S.REPAIR}),
              N_("Only a device at repair comes back from repair."), _fixed(S.TESTING), _back_to_depot),
    Operation("lose", MovementKind.LOSE, frozenset({S.READY, S.RESERVED, S.IN_VAN, S.AT_CITIZEN, S.RETURNED}),
              N_("This device cannot be reported lost from here."), _fixed(S.LOST),
              lambda s, _d, _c: singleton_holder(s, HolderKind.LOST, "Bortkommet")),
    Operation("find", MovementKind.FIND, frozenset({S.LOST}),
              N_("Only a lost device can be found."), _fixed(S.RETURNED), _back_to_depot),
    Operation("scrap", MovementKind.SCRAP, frozenset({S.RECEIVED, S.READY, S.FAULTY, S.REPAIR, S.LOST, S.RETURNED}),
              N_("This device cannot be scrapped from here."), _fixed(S.SCRAPPED),
              lambda s, _d, _c: singleton_holder(s, HolderKind.SCRAPPED, "Kasseret")),
]}


@dataclass(frozen=True)
class Outcome:
    device: Device
    movement: Movement | None  # None: it was already done (a repeated scan)


def apply(session: Session, op: Operation, device: Device, ctx: Context, *, kit_id: int | None = None) -> Outcome:
    """Run one operation on one (locked) device, or refuse with what the person should do instead."""
    if op.needs and (ctx.holder is None or ctx.holder.kind not in op.needs):
        raise DomainError(N_("Choose where the devices go before scanning."), field="holder")
    target_status = op.target_status(device)
    if device.status == target_status and _already_there(session, op, device, ctx):
        return Outcome(device, None)
    if device.status not in op.allowed:
        raise DomainError(N_("%(tag)s is %(status)s (%(holder)s). %(hint)s"), field="code", tag=device.tag,
                          status=DEVICE_STATUS.label(device.status), holder=device.holder.name,
                          hint=Msgid(op.refusal))
    GUARDS.get(op.name, _no_guard)(session, device, ctx)
    _require_signoffs(session, op, device, ctx)
    target_holder = op.target_holder(session, device, ctx)
    reserved = device.reserved_for_id
    device.reserved_for_id = _reservation_after(op, device, ctx)
    movement = move(session, device, kind=op.kind, to_holder=target_holder, to_status=target_status,
                    actor=ctx.actor, now=ctx.now, kit_id=kit_id, note=ctx.note, visit_id=ctx.visit_id)
    if reserved and op.name in DROPS_OUT_OF_STOCK:  # set aside for a home, now unusable: the kit no longer has it
        leave_kit(session, device, actor=ctx.actor, now=ctx.now, why=op.name)
    return Outcome(device, movement)


# --- the rules a scan keeps: reservations, the course's programme, scans outside a visit -------------------------

DROPS_OUT_OF_STOCK = ("fault", "lose", "scrap")


def _no_guard(_session: Session, _device: Device, _ctx: Context) -> None:
    return None


def _reservation_after(op: Operation, device: Device, ctx: Context) -> int | None:
    """The home the device is reserved for after the operation: set by reserving, kept while it travels there,
    ended by the handover (it arrived), a release, or a fault, loss or scrapping."""
    if op.name == "reserve":
        return ctx.reserve_for.id
    if op.name in ("release", "handover", *DROPS_OUT_OF_STOCK):
        return None
    return device.reserved_for_id


def _guard_reserve(session: Session, device: Device, ctx: Context) -> None:
    if ctx.reserve_for is None or ctx.reserve_for.kind != HolderKind.COURSE:
        raise DomainError(N_("Choose the citizen's course the devices are reserved for."), field="holder")
    if device.reserved_for_id not in (None, ctx.reserve_for.id):
        raise DomainError(N_("%(tag)s is already reserved for another citizen's visit."), field="code",
                          tag=device.tag)
    _guard_programme(session, device, _course_of(session, ctx.reserve_for))


def _guard_release(_session: Session, device: Device, _ctx: Context) -> None:
    if device.reserved_for_id is None:
        raise DomainError(N_("%(tag)s is not reserved."), field="code", tag=device.tag)


def _guard_handover(session: Session, device: Device, ctx: Context) -> None:
    """A reserved device goes only into the home it is reserved for; a home gets only devices of its programme;
    outside a visit (the scan page) only into a course that is set up, and with a reason."""
    if device.reserved_for_id not in (None, ctx.holder.id):
        raise DomainError(N_("%(tag)s is reserved for another citizen's visit: it cannot go into this home."),
                          field="code", tag=device.tag)
    course = _course_of(session, ctx.holder)
    if course.end_reason is not None:
        raise DomainError(N_("The course has ended: nothing more goes to this home."), field="code")
    _guard_programme(session, device, course)
    if ctx.visit_id is None:
        if course.activated_at is None:
            raise DomainError(N_("The course is not set up yet: its kit goes into the home on the setup visit."),
                              field="code")
        _require_reason(ctx)


def _guard_collect(session: Session, device: Device, ctx: Context) -> None:
    if ctx.home is not None and device.holder_id != ctx.home.id:
        raise DomainError(N_("%(tag)s is not in this citizen's home."), field="code", tag=device.tag)
    if ctx.visit_id is None:
        _require_reason(ctx)


def _require_reason(ctx: Context) -> None:
    if not (ctx.note or "").strip():
        raise DomainError(N_("Outside a visit, write the reason (who brought or took the devices, and why)."),
                          field="note")


def _guard_dropped(_session: Session, device: Device, ctx: Context) -> None:
    """Reported faulty, lost or scrapped: say why (a device in a home or set aside for one most of all)."""
    if not (ctx.note or "").strip():
        raise DomainError(N_("Write the reason."), field="note")


def _guard_programme(session: Session, device: Device, course: Course) -> None:
    """A kit of another programme, or a kind of device the programme's kit does not have, is refused."""
    if device.kit_id is not None:
        kit = session.get(Kit, device.kit_id)
        if kit.template.programme_id != course.programme_id:
            raise DomainError(N_("%(tag)s belongs to kit %(kit)s for another programme than this course's."),
                              field="code", tag=device.tag, kit=kit.tag)
        return
    wanted = session.scalars(select(KitTemplateItem.category).join(KitTemplate)
                             .where(KitTemplate.programme_id == course.programme_id)).all()
    if wanted and device.model.category not in wanted:
        raise DomainError(N_("%(tag)s (%(model)s) is not part of this programme's kit."), field="code",
                          tag=device.tag, model=str(device.model))


def _course_of(session: Session, home: Holder) -> Course:
    return session.get(Course, home.course_id)


GUARDS = {"reserve": _guard_reserve, "release": _guard_release, "handover": _guard_handover,
          "collect": _guard_collect, "fault": _guard_dropped, "lose": _guard_dropped, "scrap": _guard_dropped}


def leave_kit(session: Session, device: Device, *, actor, now: dt.datetime, why: str) -> None:
    """The device is no longer a member of its kit; the membership keeps its time in the kit."""
    kit_id = device.kit_id
    if kit_id is None:
        return
    device.kit_id = None
    for membership in session.scalars(select(KitMembership).where(
            KitMembership.kit_id == kit_id, KitMembership.device_id == device.id, KitMembership.removed_at.is_(None))):
        membership.removed_at = now
    readiness.touch(session, [kit_id])
    record_event(session, actor=actor, action="kit.unpack", entity_type="kit", entity_id=kit_id, now=now,
                 detail={"device": device.tag, "why": why})


def _already_there(session: Session, op: Operation, device: Device, ctx: Context) -> bool:
    if op.needs:
        return ctx.holder is not None and device.holder_id == ctx.holder.id
    if op.name == "reserve":
        return ctx.reserve_for is not None and device.reserved_for_id == ctx.reserve_for.id
    last = session.scalar(select(Movement.kind).where(Movement.device_id == device.id)
                          .order_by(Movement.occurred_at.desc(), Movement.id.desc()).limit(1))
    return last == op.kind


def _require_signoffs(session: Session, op: Operation, device: Device, ctx: Context) -> None:
    if op.name == "clean_finish":
        _signoff(session, device, SignoffKind.CLEANING, ctx)
    elif op.name == "test_pass":
        cleaned_since = _last_return(session, device)
        cleaned = session.scalar(select(Signoff.id).where(
            Signoff.device_id == device.id, Signoff.kind == SignoffKind.CLEANING, Signoff.at >= cleaned_since))
        if cleaned_since is not None and cleaned is None:
            raise DomainError(N_("%(tag)s has no cleaning sign-off since it came back. Clean it first."),
                              field="code", tag=device.tag)
        _signoff(session, device, SignoffKind.FUNCTION_TEST, ctx)


def _signoff(session: Session, device: Device, kind: SignoffKind, ctx: Context) -> None:
    if not ctx.method:
        raise DomainError(N_("Choose the method used."), field="method")
    session.add(Signoff(device_id=device.id, kind=kind, method=ctx.method[:120], at=ctx.now,
                        actor_id=getattr(ctx.actor, "id", None),
                        factory_reset=ctx.factory_reset and kind == SignoffKind.FUNCTION_TEST))


def _last_return(session: Session, device: Device) -> dt.datetime | None:
    return session.scalar(select(Movement.occurred_at).where(
        Movement.device_id == device.id, Movement.kind.in_([MovementKind.COLLECT, MovementKind.FIND]))
        .order_by(Movement.occurred_at.desc()).limit(1))


# Lock the device row and load its holder after: PostgreSQL re-checks a row updated while we waited for its
# lock against the rows joined to it, so a holder joined by the old holder_id could come back empty. The model
# never changes, so it may be joined.
_LOCK = (lazyload(Device.holder), joinedload(Device.model))


def lock_device(session: Session, tag: str) -> Device | None:
    """The device row, locked for this transaction (PostgreSQL FOR UPDATE; SQLite's write lock is already held)."""
    return session.scalar(select(Device).options(*_LOCK).where(Device.tag == tag).with_for_update(of=Device)
                          .execution_options(populate_existing=True))


def lock_kit_members(session: Session, kit: Kit) -> list[Device]:
    return list(session.scalars(select(Device).options(*_LOCK).where(Device.kit_id == kit.id).order_by(Device.id)
                                .with_for_update(of=Device).execution_options(populate_existing=True)))
