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
from inventory.models import Device, DeviceCategory
from inventory.service import HomeDevice
from inventory.tags import TAG_RE, parse_tag
from servicecenter.audit.service import record_event
from servicecenter.citizens.cpr import looks_like_cpr
from servicecenter.citizens.models import Citizen, ContactKind, ContactPerson
from servicecenter.citizens.service import PURPOSE_BY_ROLE, phone_key, record_listed, visible_to
from servicecenter.courses.models import Course, EndReason
from servicecenter.errors import N_, DomainError, NotFound
from support.models import Ticket
from support.service.tickets import open_tickets_of_citizen

MAX_MATCHES = 10
# Words callers use for each kind of device (Danish and English, lower case, prefixes): a fault about "the scale"
# picks the citizen's scale when she has exactly one.
KIND_WORDS = {
    DeviceCategory.TABLET: ("tablet", "ipad", "skærm", "screen"),
    DeviceCategory.PULSE_OXIMETER: ("iltmål", "saturation", "oximeter", "puls", "fingerclips", "pulse"),
    DeviceCategory.BLOOD_PRESSURE: ("blodtryk", "blood pressure", "blood-pressure", "manchet", "cuff"),
    DeviceCategory.SCALE: ("vægt", "badevægt", "scale", "weigh"),
    DeviceCategory.SPIROMETER: ("spirometer", "lungefunktion", "pust"),
    DeviceCategory.THERMOMETER: ("termometer", "thermometer", "temperatur", "temperature"),
}


@dataclass
class Caller:
    """What a lookup found: the kind of text typed, the citizens it matches, and for one citizen the context."""

    kind: str  # "phone", "cpr", "tag"
    citizens: list[Citizen] = field(default_factory=list)
    device: Device | None = None  # the tag typed, if any
    devices: list[HomeDevice] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    courses: list[Course] = field(default_factory=list)  # newest first, ended ones too
    relatives: dict[int, ContactPerson] = field(default_factory=dict)  # citizen id -> the relative whose phone it is

    @property
    def deceased(self) -> bool:
        return any(c.end_reason == EndReason.DECEASED for c in self.courses)

    @property
    def relative(self) -> ContactPerson | None:
        """The registered relative calling (the number typed is hers), for the one citizen found."""
        return self.relatives.get(self.citizen.id) if self.citizen is not None else None

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
        relatives = select(ContactPerson.citizen_id).where(ContactPerson.phone_key == key,
                                                           ContactPerson.kind == ContactKind.RELATIVE)
        condition = Citizen.id.in_(select(Citizen.id).where(Citizen.phone_key == key)
                                   .union(select(Citizen.id).where(Citizen.mobile_key == key), relatives))
    caller.citizens = list(session.scalars(select(Citizen).where(condition, visible_to(session, actor, now))
                                           .order_by(Citizen.id).limit(MAX_MATCHES)))
    if citizen_id is not None:
        caller.citizens = [c for c in caller.citizens if c.id == citizen_id]
    record_event(session, actor=actor, action="support.caller_lookup", entity_type="citizen", entity_id=None,
                 now=now, purpose=PURPOSE_BY_ROLE.get(actor.role),
                 detail={"kind": kind, "results": len(caller.citizens)})
    record_listed(session, [c.id for c in caller.citizens], actor=actor, now=now, action="support.caller")
    if kind == "phone" and caller.citizens:
        caller.relatives = _relatives_with(session, phone_key(text), [c.id for c in caller.citizens])
    if caller.citizen is not None:
        caller.devices = inventory.devices_in_home(session, citizen_id=caller.citizen.id)
        caller.visits = dispatch.open_visits_of_citizen(session, caller.citizen.id)
        caller.tickets = open_tickets_of_citizen(session, caller.citizen.id)
        caller.courses = list(session.scalars(select(Course).where(Course.citizen_id == caller.citizen.id)
                                              .order_by(Course.id.desc()).limit(MAX_MATCHES)))
    return caller


def _relatives_with(session: Session, key: str | None, citizen_ids: list[int]) -> dict[int, ContactPerson]:
    rows = session.scalars(select(ContactPerson).where(ContactPerson.phone_key == key,
                                                       ContactPerson.kind == ContactKind.RELATIVE,
                                                       ContactPerson.citizen_id.in_(citizen_ids)))
    return {c.citizen_id: c for c in rows}


def device_named_in(devices: list[HomeDevice], text: str) -> int | None:
    """The device a description is about when it names a kind of device the citizen has exactly one of."""
    words = text.lower()
    named = {kind for kind, stems in KIND_WORDS.items() if any(stem in words for stem in stems)}
    matches = [d for d in devices if d.category in named]
    return matches[0].id if len(matches) == 1 else None
