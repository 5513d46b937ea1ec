"""A scan: one code from the scanner (or one line of a pasted list) turned into an operation on a device or on
every device of a kit, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Device, Kit
from inventory.service.operations import OPERATIONS, Context, apply, lock_device, lock_kit_members
from inventory.tags import parse_tag
from servicecenter.errors import N_, DomainError


@dataclass(frozen=True)
class ScanResult:
    tag: str
    moved: int  # devices moved by this scan (0 when it was a repeat)
    message: str  # msgid
    params: dict
    warning: str | None = None  # msgid: done, but look (a kit returned without all its members)
    warning_params: dict | None = None


def scan(session: Session, mode: str, code: str, ctx: Context) -> ScanResult:
    """Refuses a malformed tag before any lookup; otherwise runs the mode's operation. Raises DomainError with a
    message for the person when the scan cannot be done; the caller's transaction then moves nothing."""
    op = OPERATIONS.get(mode)
    if op is None:
        raise DomainError(N_("Unknown scan mode."))
    tag = parse_tag(code)
    if tag[0] == "K":
        return _scan_kit(session, op, tag, ctx)
    if tag[0] != "D":
        raise DomainError(N_("%(tag)s is a shelf or van label, not a device."), field="code", tag=tag)
    device = lock_device(session, tag)
    if device is None:
        raise DomainError(N_("%(tag)s is not registered."), field="code", tag=tag)
    outcome = apply(session, op, device, ctx)
    if outcome.movement is None:
        return ScanResult(tag, 0, N_("%(tag)s: already done, nothing changed."), {"tag": tag})
    result = ScanResult(tag, 1, N_("%(tag)s %(model)s: done."), {"tag": tag, "model": str(device.model)})
    return _with_kit_warning(session, result, device) if device.kit_id and _kit_travels(op, ctx) else result


# Where a kit should travel whole and a member moving alone is worth a warning: loading it, or into or out of a home
# outside a visit (a partial return). At the door a visit's own guards check the kit (every member delivered, every
# device collected), and in the warehouse returned devices are cleaned and tested one by one.
TRAVELS_WHOLE = ("load", "handover", "collect")


def _kit_travels(op, ctx: Context) -> bool:
    return op.name in TRAVELS_WHOLE and ctx.visit_id is None


def _with_kit_warning(session: Session, result: ScanResult, device) -> ScanResult:
    """A kit member moved alone: say which members are elsewhere (a partial return, a discrepancy)."""
    kit = session.get(Kit, device.kit_id)
    # A plain read: locking the other members here could deadlock with a scan of one of them.
    members = session.execute(select(Device.tag, Device.holder_id).where(Device.kit_id == kit.id)).all()
    elsewhere = [tag for tag, holder_id in members if holder_id != device.holder_id]
    if not elsewhere:
        return result
    return ScanResult(result.tag, result.moved, result.message, result.params,
                      N_("Kit %(kit)s is split: %(missing)s not here."),
                      {"kit": kit.tag, "missing": ", ".join(elsewhere)})


def _scan_kit(session: Session, op, tag: str, ctx: Context) -> ScanResult:
    if op.name == "collect":
        raise DomainError(N_("Scan each device of kit %(tag)s, so anything left in the home is noticed."),
                          field="code", tag=tag)
    kit = session.scalar(select(Kit).where(Kit.tag == tag).with_for_update(of=Kit))
    if kit is None:
        raise DomainError(N_("%(tag)s is not registered."), field="code", tag=tag)
    members = lock_kit_members(session, kit)
    if not members:
        raise DomainError(N_("Kit %(tag)s is empty."), field="code", tag=tag)
    moved = sum(1 for device in members if apply(session, op, device, ctx, kit_id=kit.id).movement is not None)
    if moved == 0:
        return ScanResult(tag, 0, N_("%(tag)s: already done, nothing changed."), {"tag": tag})
    return ScanResult(tag, moved, N_("Kit %(tag)s: %(n)d devices done."), {"tag": tag, "n": moved})
