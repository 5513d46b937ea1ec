"""Who is calling: a phone number, a CPR number or an asset tag (typed or scanned) identifies the citizen; the
call page then shows their devices (from the ledger), open visits and open tickets."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import service as dispatch
from dispatch.models import Visit
from inventory import service as inventory
from inventory.models import Device
from inventory.service import HomeDevice
from inventory.tags import TAG_RE, parse_tag
from servicecenter.audit.service import record_event
from servicecenter.citizens.cpr import looks_like_cpr
from servicecenter.citizens.models import Citizen
from servicecenter.citizens.service import PURPOSE_BY_ROLE, phone_key, record_listed, visible_to
from servicecenter.errors import N_, DomainError, NotFound
from support.models import Ticket
from support.service.tickets import open_tickets_of_citizen

MAX_MATCHES = 10


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
        try:
            caller.device = inventory.get_device(session, tag)
        except NotFound:
            raise DomainError(N_("%(tag)s is not registered."), field="q", tag=tag) from None
        home = inventory.home_of_device(session, caller.device.id)
        condition = Citizen.id == (home.citizen_id if home is not None else None)
    elif kind == "cpr":
        condition = Citizen.cpr == re.sub(r"\D", "", text)
    else:
        key = phone_key(text)  # one index lookup per column: for an OR, SQLite scanned every citizen
        condition = Citizen.id.in_(select(Citizen.id).where(Citizen.phone_key == key)
                                   .union(select(Citizen.id).where(Citizen.mobile_key == key)))
    caller.citizens = list(session.scalars(select(Citizen).where(condition, visible_to(session, actor, now))
                                           .order_by(Citizen.id).limit(MAX_MATCHES)))
    if citizen_id is not None:
        caller.citizens = [c for c in caller.citizens if c.id == citizen_id]
    record_event(session, actor=actor, action="support.caller_lookup", entity_type="citizen", entity_id=None,
                 now=now, purpose=PURPOSE_BY_ROLE.get(actor.role),
                 detail={"kind": kind, "results": len(caller.citizens)})
    record_listed(session, [c.id for c in caller.citizens], actor=actor, now=now, action="support.caller")
    if caller.citizen is not None:
        caller.devices = inventory.devices_in_home(session, citizen_id=caller.citizen.id)
        caller.visits = dispatch.open_visits_of_citizen(session, caller.citizen.id)
        caller.tickets = open_tickets_of_citizen(session, caller.citizen.id)
    return caller
