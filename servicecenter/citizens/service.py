"""Citizen records: create, edit, search and open them, with the nurse's object rule and audit of every read."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields, replace

from sqlalchemy import ColumnElement, Select, and_, inspect, or_, select, true
from sqlalchemy.orm import Session

from servicecenter.audit.models import Outcome
from servicecenter.audit.service import recent_citizen_ids, record_event, record_reads
from servicecenter.auth.models import Role, User
from servicecenter.citizens.access import can_see, sees, visible_to  # noqa: F401 - the services' one rule
from servicecenter.citizens.cpr import looks_like_cpr, normalise_cpr
from servicecenter.citizens.models import Citizen, CitizenMunicipality, ContactKind, ContactPerson, GlassBreak
from servicecenter.db import LOCAL_ZONE, local_date
from servicecenter.errors import N_, Conflict, DomainError, NotFound
from servicecenter.organisations.models import Organisation, OrganisationKind

DENMARK_LAT = (54.5, 57.8)
DENMARK_LON = (8.0, 15.3)

PURPOSE_BY_ROLE = {
    Role.HELPDESK: "support",
    Role.TECHNICIAN: "field work",
    Role.NURSE: "care",
    Role.COORDINATOR: "coordination",
}


class DuplicateCitizen(DomainError):
    def __init__(self, citizen_id: int):
        super().__init__(N_("A citizen with this CPR number already exists."), field="cpr")
        self.citizen_id = citizen_id


UNCHANGED = object()  # a field the person was not shown (access notes for a nurse) or left as shown: keep it


@dataclass
class CitizenData:
    cpr: str
    first_name: str
    last_name: str
    address: str
    postal_code: str
    city: str
    municipality_id: int
    latitude: float | None = None
    longitude: float | None = None
    phone: str | None = None
    mobile: str | None = None
    language: str = "da"
    special_needs: str | None = None
    access_notes: str | None | object = None
    responsible_organisation_id: int | None | object = None


@dataclass
class ContactData:
    kind: ContactKind
    name: str
    relation: str | None = None
    phone: str | None = None
    may_contact: bool = False


def phone_key(phone: str | None) -> str | None:
    """Digits only, without a leading Danish country code, so +45 12 34 56 78 and 12345678 match."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("0045"):
        digits = digits[4:]
    elif digits.startswith("45") and len(digits) == 10:
        digits = digits[2:]
    return digits or None


def _check_phone(phone: str | None, field: str) -> None:
    key = phone_key(phone)
    if phone and (key is None or not 8 <= len(key) <= 15 or re.search(r"[^\d +\-()]", phone)):
        raise DomainError(N_("Enter a phone number of 8 digits (or + and the country code)."), field=field)


def _validate(session: Session, data: CitizenData) -> str:
    cpr = normalise_cpr(data.cpr)
    if not re.fullmatch(r"\d{4}", data.postal_code or ""):
        raise DomainError(N_("A postal code is 4 digits."), field="postal_code")
    municipality = session.get(Organisation, data.municipality_id)
    if municipality is None or municipality.kind != OrganisationKind.MUNICIPALITY:
        raise DomainError(N_("Choose the municipality."), field="municipality_id")
    if (data.latitude is None) != (data.longitude is None):
        raise DomainError(N_("Give both latitude and longitude, or neither."), field="latitude")
    if data.latitude is not None and not (
        DENMARK_LAT[0] <= data.latitude <= DENMARK_LAT[1] and DENMARK_LON[0] <= data.longitude <= DENMARK_LON[1]
    ):
        raise DomainError(N_("The coordinates are not in Denmark. Are latitude and longitude swapped?"),
                          field="latitude")
    _check_phone(data.phone, "phone")
    _check_phone(data.mobile, "mobile")
    if data.responsible_organisation_id is not None and session.get(
        Organisation, data.responsible_organisation_id
    ) is None:
        raise DomainError(N_("Choose an organisation."), field="responsible_organisation_id")
    return cpr


def _with_stored(citizen: Citizen, data: CitizenData) -> CitizenData:
    """Every UNCHANGED field takes the stored value, so an edit changes only what the person changed (a select that
    could not show the stored organisation once cleared it, and with it a nurse's access to the citizen)."""
    return replace(data, **{f.name: getattr(citizen, f.name) for f in fields(data)
                            if getattr(data, f.name) is UNCHANGED})


def _apply(citizen: Citizen, data: CitizenData, cpr: str) -> None:
    citizen.cpr = cpr
    for name in ("first_name", "last_name", "address", "city"):
        setattr(citizen, name, getattr(data, name).strip())
    citizen.postal_code = data.postal_code
    citizen.municipality_id = data.municipality_id
    citizen.latitude, citizen.longitude = data.latitude, data.longitude
    citizen.phone, citizen.mobile = data.phone or None, data.mobile or None
    citizen.language = data.language or "da"
    citizen.special_needs = data.special_needs or None
    citizen.access_notes = data.access_notes or None
    citizen.responsible_organisation_id = data.responsible_organisation_id
    citizen.first_name_key = citizen.first_name.lower()
    citizen.last_name_key = citizen.last_name.lower()
    citizen.address_key = citizen.address.lower()
    citizen.phone_key, citizen.mobile_key = phone_key(citizen.phone), phone_key(citizen.mobile)


def _refuse_duplicate(session: Session, cpr: str, *, except_id: int | None = None) -> None:
    existing = session.scalar(select(Citizen.id).where(Citizen.cpr == cpr))
    if existing is not None and existing != except_id:
        raise DuplicateCitizen(existing)


def create_citizen(session: Session, data: CitizenData, *, actor: User, now: dt.datetime) -> Citizen:
    data = _with_stored(Citizen(), data)  # nothing is stored yet: an UNCHANGED field stays empty
    cpr = _validate(session, data)
    _refuse_duplicate(session, cpr)
    if actor.role == Role.NURSE and data.responsible_organisation_id is None:
        data.responsible_organisation_id = actor.organisation_id
    citizen = Citizen(created_by_id=actor.id, created_at=now, updated_at=now)
    _apply(citizen, data, cpr)
    session.add(citizen)
    session.flush()
    _note_municipality(session, citizen, now)
    record_event(session, actor=actor, action="citizen.create", entity_type="citizen", entity_id=citizen.id,
                 citizen_id=citizen.id, now=now, purpose=PURPOSE_BY_ROLE.get(actor.role))
    return citizen


def update_citizen(
    session: Session, citizen: Citizen, data: CitizenData, *, actor: User, now: dt.datetime, expected_version: int
) -> Citizen:
    if citizen.version != expected_version:
        raise Conflict(N_("Someone else changed this record after you opened it. Reload it and try again."))
    data = _with_stored(citizen, data)
    cpr = _validate(session, data)
    _refuse_duplicate(session, cpr, except_id=citizen.id)
    _apply(citizen, data, cpr)
    citizen.updated_at = now
    changed = sorted(k for k in _changed_fields(citizen) if not k.endswith("_key"))
    if "municipality_id" in changed:
        _note_municipality(session, citizen, now)
    record_event(session, actor=actor, action="citizen.update", entity_type="citizen", entity_id=citizen.id,
                 citizen_id=citizen.id, now=now, purpose=PURPOSE_BY_ROLE.get(actor.role),
                 detail={"fields": changed})
    return citizen


def _note_municipality(session: Session, citizen: Citizen, now: dt.datetime) -> None:
    """Where she lives from now on, kept beside the record: the indicators place a citizen who moved mid-course."""
    session.add(CitizenMunicipality(citizen_id=citizen.id, municipality_id=citizen.municipality_id, since=now))


def _changed_fields(obj: object) -> list[str]:
    return [attr.key for attr in inspect(obj).attrs if attr.history.has_changes() and attr.key != "updated_at"]


# --- who may see whom -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    citizen: Citizen | None
    allowed: bool


def open_citizen(
    session: Session, citizen_id: int, *, actor: User, now: dt.datetime, action: str = "citizen.view"
) -> Access:
    """Load a citizen for this user and write exactly one audit row, allowed or denied. A citizen outside the
    user's need to know answers like one who does not exist (the view's 404), after the denied row is written."""
    citizen = session.get(Citizen, citizen_id)
    if citizen is None:
        raise NotFound(N_("No such citizen."))
    allowed = can_see(session, actor, citizen_id, now)
    record_event(session, actor=actor, action=action, entity_type="citizen", entity_id=citizen_id,
                 citizen_id=citizen_id, now=now, purpose=PURPOSE_BY_ROLE.get(actor.role),
                 outcome=Outcome.ALLOWED if allowed else Outcome.DENIED)
    return Access(citizen if allowed else None, allowed)


def note_duplicate_check(session: Session, citizen_id: int, *, actor: User, now: dt.datetime) -> bool:
    """Audit that a create attempt found this citizen's CPR; returns whether the person may open the citizen."""
    allowed = can_see(session, actor, citizen_id, now)
    record_event(session, actor=actor, action="citizen.duplicate_check", entity_type="citizen", entity_id=citizen_id,
                 citizen_id=citizen_id, now=now, purpose=PURPOSE_BY_ROLE.get(actor.role),
                 outcome=Outcome.ALLOWED if allowed else Outcome.DENIED)
    return allowed


def break_glass(session: Session, cpr: str, reason: str, *, actor: User, now: dt.datetime) -> GlassBreak:
    """A technician helping a colleague sees one citizen outside his own visits until the end of today, with his
    reason; the coordinators see every such break. The reason comes first: an empty one unlocks nothing."""
    reason = " ".join((reason or "").split())
    if len(reason) < 10:
        raise DomainError(N_("Write why you need this citizen's record (at least 10 characters)."), field="reason")
    citizen_id = session.scalar(select(Citizen.id).where(Citizen.cpr == normalise_cpr(cpr)))
    if citizen_id is None:
        raise DomainError(N_("No citizen has this CPR number."), field="cpr")
    end_of_day = dt.datetime.combine(local_date(now) + dt.timedelta(days=1), dt.time(), LOCAL_ZONE)
    glass = GlassBreak(user_id=actor.id, citizen_id=citizen_id, reason=reason[:500], at=now,
                       until=end_of_day.astimezone(dt.UTC))
    session.add(glass)
    session.flush()
    record_event(session, actor=actor, action="citizen.break_glass", entity_type="citizen", entity_id=citizen_id,
                 citizen_id=citizen_id, now=now, purpose=PURPOSE_BY_ROLE.get(actor.role),
                 detail={"glass_break": glass.id})
    return glass


def show_access_notes(session: Session, citizen: Citizen, *, actor: User, now: dt.datetime, where: str,
                      entity: tuple[str, int]) -> str | None:
    """The key-box and door codes, for a technician on the day of his visit (the stop, the route sheet); each
    showing is an audit row of its own, naming where it was shown."""
    if not citizen.access_notes:
        return None
    record_event(session, actor=actor, action="citizen.access_notes", entity_type=entity[0], entity_id=entity[1],
                 citizen_id=citizen.id, now=now, purpose=PURPOSE_BY_ROLE.get(actor.role), detail={"where": where})
    return citizen.access_notes


def list_glass_breaks(session: Session, *, actor: User, now: dt.datetime, days: int = 90) -> list[GlassBreak]:
    """The breaks of the last `days` days, newest first, for the coordinators' review (each names a citizen)."""
    rows = list(session.scalars(select(GlassBreak).where(GlassBreak.at >= now - dt.timedelta(days=days))
                                .order_by(GlassBreak.at.desc(), GlassBreak.id.desc()).limit(500)))
    record_listed(session, [g.citizen_id for g in rows], actor=actor, now=now, action="citizen.list_glass_breaks")
    return rows


# --- search ---------------------------------------------------------------------------------------------


def _like_prefix(column, text: str) -> ColumnElement[bool]:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"{escaped}%", escape="\\")


def _like_within(column, text: str) -> ColumnElement[bool]:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def _search_condition(query: str) -> tuple[str, ColumnElement[bool]]:
    """Classify the query (CPR, phone, or words of a name or address) and build its indexed condition."""
    text = query.strip()
    if looks_like_cpr(text):
        return "cpr", Citizen.cpr == re.sub(r"\D", "", text)
    digits = re.sub(r"[\s\-+()]", "", text)
    if digits.isdigit() and len(digits) >= 4:
        key = phone_key(text) or digits
        by_phone = or_(_like_prefix(Citizen.phone_key, key), _like_prefix(Citizen.mobile_key, key))
        if len(digits) == 6:  # a birth date, DDMMYY: range on the CPR's unique index
            return "birthdate", or_(by_phone, and_(Citizen.cpr >= digits, Citizen.cpr < digits + ":"))
        return "phone", by_phone
    words = text.lower().split()
    first, rest = words[0], words[1:]
    condition = or_(
        _like_prefix(Citizen.first_name_key, first),
        _like_prefix(Citizen.last_name_key, first),
        _like_prefix(Citizen.address_key, first),
    )
    for word in rest:
        condition = and_(condition, or_(
            _like_within(Citizen.first_name_key, word),
            _like_within(Citizen.last_name_key, word),
            _like_within(Citizen.address_key, word),
        ))
    return "text", condition


def search_citizens(
    session: Session, query: str, *, actor: User, now: dt.datetime, page: int = 1, per_page: int = 25
) -> tuple[list[Citizen], bool]:
    """Citizens matching the query that this user may see, and whether there are more. The query itself is
    not written to the audit log (it may be a CPR number); its kind and the result count are."""
    if len(query.strip()) < 2:
        raise DomainError(N_("Type at least two characters."), field="q")
    kind, condition = _search_condition(query[:100])
    rows = _page_of(session, select(Citizen.id).where(condition, visible_to(session, actor, now)), page, per_page)
    purpose = PURPOSE_BY_ROLE.get(actor.role)
    record_event(session, actor=actor, action="citizen.search", entity_type="citizen", entity_id=None, now=now,
                 purpose=purpose, detail={"kind": kind, "results": len(rows[:per_page])})
    record_listed(session, [c.id for c in rows[:per_page]], actor=actor, now=now, action="citizen.search_result")
    return rows[:per_page], len(rows) > per_page


def record_listed(session: Session, citizen_ids: list[int], *, actor: User, now: dt.datetime, action: str) -> None:
    """Each citizen shown by name in a list (search results, worklists) has seen a read of their data."""
    record_reads(session, citizen_ids, actor=actor, action=action, now=now, purpose=PURPOSE_BY_ROLE.get(actor.role))


def list_recently_opened(session: Session, *, actor: User, now: dt.datetime, limit: int = 15) -> list[Citizen]:
    """The citizens this person opened in the last 30 days, newest first. There is no browsable list of all
    citizens: reading the register page by page would be a read of everyone, logged nowhere."""
    ids = recent_citizen_ids(session, actor.id, since=now - dt.timedelta(days=30), limit=limit)
    rows = _load_in_order(session, ids, visible_to(session, actor, now))  # no longer hers: no longer listed
    record_listed(session, [c.id for c in rows], actor=actor, now=now, action="citizen.list_recent")
    return rows


def _page_of(session: Session, ids: Select, page: int, per_page: int) -> list[Citizen]:
    """One page (plus one row, to tell whether there is more) in two steps: the ids in order from the bare
    table, then the rows with what the lists show. Joining organisations before the LIMIT would join every
    match (thousands for a common surname) only to throw most away."""
    order = (Citizen.last_name_key, Citizen.first_name_key, Citizen.id)
    wanted = list(session.scalars(ids.order_by(*order).limit(per_page + 1).offset((page - 1) * per_page)))
    return _load_in_order(session, wanted, true())


def _load_in_order(session: Session, ids: list[int], condition: ColumnElement[bool]) -> list[Citizen]:
    if not ids:
        return []
    found = {c.id: c for c in session.scalars(select(Citizen).where(Citizen.id.in_(ids), condition))}
    return [found[i] for i in ids if i in found]


# --- contact persons ------------------------------------------------------------------------------------


def add_contact(
    session: Session, citizen: Citizen, data: ContactData, *, actor: User, now: dt.datetime
) -> ContactPerson:
    _check_phone(data.phone, "phone")
    contact = ContactPerson(
        citizen=citizen, kind=data.kind, name=data.name.strip(), relation=data.relation or None,
        phone=data.phone or None, phone_key=phone_key(data.phone), may_contact=data.may_contact, created_at=now,
    )
    session.add(contact)
    session.flush()
    record_event(session, actor=actor, action="citizen.contact_add", entity_type="contact_person",
                 entity_id=contact.id, citizen_id=citizen.id, now=now)
    return contact


def remove_contact(session: Session, citizen: Citizen, contact_id: int, *, actor: User, now: dt.datetime) -> None:
    contact = session.get(ContactPerson, contact_id)
    if contact is None or contact.citizen_id != citizen.id:
        raise NotFound(N_("No such contact person."))
    session.delete(contact)
    record_event(session, actor=actor, action="citizen.contact_remove", entity_type="contact_person",
                 entity_id=contact_id, citizen_id=citizen.id, now=now)


def relative_to_contact(citizen: Citizen) -> ContactPerson | None:
    """The relative the service center may contact instead of the citizen (a deceased citizen's pickup, a hearing
    impaired citizen): the first one who agreed to be contacted."""
    return next((c for c in sorted(citizen.contacts, key=lambda c: c.id)
                 if c.kind == ContactKind.RELATIVE and c.may_contact), None)
