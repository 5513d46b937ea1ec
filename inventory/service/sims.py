"""SIM cards: find one by ICCID or phone number, its pairing and state history, and suspend or reactivate it while
its tablet is in stock."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, lazyload

from inventory.models import Device, DeviceModel, DeviceStatus, SimCard, SimPairing, SimState
from inventory.transitions import DEVICE_STATUS, SIM_STATE
from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import User
from servicecenter.db import get_or_raise
from servicecenter.errors import N_, DomainError
from servicecenter.statuses import transition

# A SIM card's state changes only while its tablet is in the service center's hands: not in a citizen's home
# (suspending would cut the citizen off) and not in a van on its way there.
OUT_OF_STOCK = frozenset({DeviceStatus.AT_CITIZEN, DeviceStatus.IN_VAN})
MAX_REASON = 500


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def _phone_digits():
    """The stored phone number without the spaces, dashes and plus people type (compared by its end, so
    "20 12 34 56" finds "+45 2012 3456")."""
    return func.replace(func.replace(func.replace(SimCard.phone_number, " ", ""), "-", ""), "+", "")


def list_sims(session: Session, *, query: str = "", page: int = 1, per_page: int = 25) -> tuple[list[SimCard], bool]:
    """A page of SIM cards by ICCID; a query matches the start of the ICCID or the end of the phone number."""
    stmt = select(SimCard).options(joinedload(SimCard.device))
    if query.strip():
        digits = _digits(query)
        if not digits:
            return [], False
        stmt = stmt.where(or_(SimCard.iccid.like(f"{digits}%"), _phone_digits().like(f"%{digits}")))
    rows = list(session.scalars(stmt.order_by(SimCard.iccid).limit(per_page + 1).offset((page - 1) * per_page)))
    return rows[:per_page], len(rows) > per_page


def find_sim(session: Session, query: str) -> SimCard | None:
    """The one card whose whole ICCID was scanned or typed (the barcode on the card carries it)."""
    digits = _digits(query)
    return session.scalar(select(SimCard).where(SimCard.iccid == digits)) if len(digits) >= 18 else None


def get_sim(session: Session, sim_id: int) -> SimCard:
    return get_or_raise(session, SimCard, sim_id, N_("No such SIM card."))


def sim_of_device(session: Session, device_id: int) -> SimCard | None:
    return session.scalar(select(SimCard).where(SimCard.device_id == device_id))


def sim_pairings(session: Session, sim_id: int, *, limit: int = 100) -> list[tuple[SimPairing, str, DeviceModel]]:
    """Which tablets the card sat in, newest first: (pairing, tablet tag, model)."""
    return list(session.execute(
        select(SimPairing, Device.tag, DeviceModel).join(Device, Device.id == SimPairing.device_id)
        .join(DeviceModel, DeviceModel.id == Device.model_id).where(SimPairing.sim_id == sim_id)
        .order_by(SimPairing.paired_at.desc(), SimPairing.id.desc()).limit(limit)))


def sim_state_history(session: Session, sim_id: int, *, limit: int = 100) -> list[tuple[AuditEvent, str | None]]:
    """Every state change with who, when and why, newest first. The audit rows written by the state machine are
    the history (one indexed range: entity type and id), so no second table can disagree with them."""
    return list(session.execute(
        select(AuditEvent, User.full_name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.entity_type == SIM_STATE.name, AuditEvent.entity_id == sim_id,
               AuditEvent.action == f"{SIM_STATE.name}.status")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


def suspend_sim(session: Session, sim: SimCard, *, reason: str, actor, now: dt.datetime) -> SimCard:
    return _set_state(session, sim, SimState.SUSPENDED, reason=reason, actor=actor, now=now)


def reactivate_sim(session: Session, sim: SimCard, *, reason: str, actor, now: dt.datetime) -> SimCard:
    return _set_state(session, sim, SimState.ACTIVE, reason=reason, actor=actor, now=now)


def _set_state(session: Session, sim: SimCard, target: SimState, *, reason: str, actor, now: dt.datetime) -> SimCard:
    """Change the state with a reason, audited by the state machine. The card and its tablet are locked, so a
    scan that loads the tablet into a van at the same moment is either before (and this is refused) or after."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(N_("Give a reason."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(N_("The reason is longer than %(n)d characters."), field="reason", n=MAX_REASON)
    sim = session.scalar(select(SimCard).where(SimCard.id == sim.id).with_for_update(of=SimCard)
                         .execution_options(populate_existing=True))
    if sim.state == target:
        return sim  # sent twice: the first one did it
    if sim.device_id is not None:
        _check_tablet(session, sim.device_id, target)
    transition(session, sim, target, table=SIM_STATE, actor=actor, now=now, reason=reason)
    return sim


def _check_tablet(session: Session, device_id: int, target: SimState) -> None:
    device = session.scalar(select(Device).options(lazyload(Device.holder)).where(Device.id == device_id)
                            .with_for_update(of=Device).execution_options(populate_existing=True))
    if device.status in OUT_OF_STOCK:
        raise DomainError(N_("The SIM card is in %(tag)s, which is %(status)s (%(place)s). A SIM card is suspended or "
                             "reactivated only while its tablet is in stock."), tag=device.tag,
                          status=DEVICE_STATUS.label(device.status), place=device.holder.name)
    if target == SimState.SUSPENDED and device.status == DeviceStatus.RESERVED:
        raise DomainError(N_("%(tag)s is reserved for a visit: with its SIM card suspended it would be delivered "
                             "without a connection. Release the reservation first."), tag=device.tag)
