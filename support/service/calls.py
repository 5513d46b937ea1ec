"""Who is calling: a phone number, a CPR number or an asset tag (typed or scanned) identifies the citizen; the
call page then shows their devices (from the ledger), open visits and open tickets."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from dispatch.models import Visit
from dispatch.service.visits import OPEN as OPEN_VISITS
from inventory.models import Custody, Device, DeviceModel
from inventory.tags import TAG_RE, parse_tag
from servicecenter.audit.service import record_event
from servicecenter.citizens.cpr import looks_like_cpr
from servicecenter.citizens.models import Citizen
from servicecenter.citizens.service import PURPOSE_BY_ROLE, phone_key, record_listed, visible_to
from servicecenter.errors import N_, DomainError
from support.models import Ticket
from support.service.tickets import open_tickets_of_citizen

MAX_MATCHES = 10


@dataclass(frozen=True)
class HomeDevice:
    id: int
    tag: str
    model: str
    model_id: int
    category: str  # tablet, pulse oximeter, ... (inventory's DeviceCategory)


@dataclass
class Caller:
    """What a lookup found: the kind of text typed, the citizens it matches, and for one citizen the context."""

    kind: str  # "phone", "cpr", "tag"
    citizens: list[Citizen] = field(default_factory=list)
    device: Device | None = None  # the tag typed, if any
    devices: list[HomeDevice] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)

    @property
    def citizen(self) -> Citizen | None:
        return self.citizens[0] if len(self.citizens) == 1 else None


def classify(text: str) -> str:
    compact = re.sub(r"\s", "", text).upper()
    if TAG_RE.match(compact):
        return "tag"
    if looks_like_cpr(text):
        return "cpr"
    key = phone_key(text)
    if key and key.isdigit() and 8 <= len(key) <= 15 and not re.search(r"[^\d +\-()]", text):
        return "phone"
    raise DomainError(N_("Type a phone number, a CPR number or an asset tag."), field="q")


def identify(session: Session, text: str, *, actor, now: dt.datetime, citizen_id: int | None = None) -> Caller:
    """The caller's citizen(s) that this person may see; with exactly one (or `citizen_id` chosen among them),
    their devices, open visits and open tickets. Audited: the kind of lookup and each citizen shown (never the
    number typed)."""
    text = text.strip()[:40]
    kind = classify(text)
    caller = Caller(kind)
    if kind == "tag":
        tag = parse_tag(text)
        caller.device = session.scalar(select(Device).where(Device.tag == tag))
        if caller.device is None:
            raise DomainError(N_("%(tag)s is not registered."), field="q", tag=tag)
        condition = Citizen.id.in_(select(Custody.citizen_id).where(Custody.device_id == caller.device.id,
                                                                    Custody.ended_at.is_(None)))
    elif kind == "cpr":
        condition = Citizen.cpr == re.sub(r"\D", "", text)
    else:
        key = phone_key(text)  # one index lookup per column: for an OR, SQLite scanned every citizen
        condition = Citizen.id.in_(select(Citizen.id).where(Citizen.phone_key == key)
                                   .union(select(Citizen.id).where(Citizen.mobile_key == key)))
    caller.citizens = list(session.scalars(select(Citizen).where(condition, visible_to(actor))
                                           .order_by(Citizen.id).limit(MAX_MATCHES)))
    if citizen_id is not None:
        caller.citizens = [c for c in caller.citizens if c.id == citizen_id]
    record_event(session, actor=actor, action="support.caller_lookup", entity_type="citizen", entity_id=None,
                 now=now, purpose=PURPOSE_BY_ROLE.get(actor.role),
                 detail={"kind": kind, "results": len(caller.citizens)})
    record_listed(session, [c.id for c in caller.citizens], actor=actor, now=now, action="support.caller")
    if caller.citizen is not None:
        caller.devices = devices_at_home(session, caller.citizen.id)
        caller.visits = list(session.scalars(select(Visit).where(Visit.citizen_id == caller.citizen.id,
                                                                 Visit.status.in_(OPEN_VISITS))
                                             .order_by(Visit.id.desc()).limit(10)
                                             .options(lazyload("*"))))  # plain columns shown: not 8 eager joins
        caller.tickets = open_tickets_of_citizen(session, caller.citizen.id)
    return caller


def devices_at_home(session: Session, citizen_id: int) -> list[HomeDevice]:
    """The devices the citizen holds now, by the ledger's open custody."""
    rows = session.execute(
        select(Device.id, Device.tag, DeviceModel.name, DeviceModel.id, DeviceModel.category)
        .join(Custody, Custody.device_id == Device.id).join(DeviceModel, DeviceModel.id == Device.model_id)
        .where(Custody.citizen_id == citizen_id, Custody.ended_at.is_(None)).order_by(DeviceModel.name, Device.tag))
    return [HomeDevice(*row) for row in rows]
