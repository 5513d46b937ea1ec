"""What the FHIR routes read, for a client behind a token. The token's need-to-know and the device and citizen
look-ups are the REST API's own (api/service/resources.py); a citizen outside it does not exist (NotFound). Reads
only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.service import resources as R
from api.service.tokens import ApiClient
from fhirapi.shapes import CPR_SYSTEM, SERIAL_SYSTEM, TAG_SYSTEM
from inventory.models import Custody, Device
from servicecenter.citizens.access import organisation_sees
from servicecenter.citizens.models import Citizen
from servicecenter.errors import N_, DomainError, NotFound
from servicecenter.organisations.models import Organisation, OrganisationKind

MAX_MATCHES = 100  # a serial number is one device, or a few of different makes: never a page's worth


@dataclass(frozen=True)
class Everything:
    citizen: Citizen
    uses: list[Custody]
    devices: list[Device]


def supplier(session: Session) -> Organisation | None:
    """The service centre (the contractor running it), named in every Device's suppliers."""
    return session.scalar(select(Organisation).where(Organisation.kind == OrganisationKind.CONTRACTOR,
                                                     Organisation.is_active.is_(True)).order_by(Organisation.id))


def organisation(session: Session, organisation_id: int) -> Organisation:
    found = session.get(Organisation, organisation_id)
    if found is None:
        raise NotFound(N_("No such organisation."))
    return found


def _token(value: str, field: str) -> tuple[str | None, str]:
    """A FHIR token parameter: `system|value`, `|value` (no system) or `value` (any system)."""
    system, bar, code = value.partition("|")
    system, code = (system.strip(), code.strip()) if bar else (None, value.strip())
    if not code:
        raise DomainError(N_("The search parameter %(name)s needs a value (system|value)."), field=field, name=field)
    return system, code


def devices_by_identifier(session: Session, identifier: str) -> list[Device]:
    """Devices whose serial number (SNO) or asset tag is this identifier."""
    system, value = _token(identifier, "identifier")
    found: dict[int, Device] = {}
    if system in (None, SERIAL_SYSTEM):
        found.update((d.id, d) for d in R.find_devices(session, serial=value, limit=MAX_MATCHES)[:MAX_MATCHES])
    if system in (None, TAG_SYSTEM):
        found.update((d.id, d) for d in R.find_devices(session, tag=value, limit=MAX_MATCHES)[:MAX_MATCHES])
    return [found[i] for i in sorted(found)]


def citizen_by_identifier(session: Session, client: ApiClient, identifier: str, now: dt.datetime) -> int:
    """The citizen with this DK Core CPR identifier (`urn:oid:1.2.208.176.1.2|<cpr>`), if the token may see her."""
    system, cpr = _token(identifier, "patient.identifier")
    if system != CPR_SYSTEM:
        raise DomainError(N_("The patient identifier's system must be %(system)s."), field="patient.identifier",
                          system=CPR_SYSTEM)
    return R.citizen_by_cpr(session, client, cpr, now)


def patient(session: Session, client: ApiClient, citizen_id: int, now: dt.datetime) -> Citizen:
    R.require_citizen(session, client, citizen_id, now)
    return session.get(Citizen, citizen_id)


def uses(session: Session, client: ApiClient, now: dt.datetime, *, citizen_id: int | None = None,
         device_id: int | None = None, use_id: int | None = None) -> list[Custody]:
    """Custody intervals in citizens' homes (DeviceUseStatements), oldest first: of a citizen, of a device or one by
    its id; only of the citizens the token may see."""
    stmt = select(Custody).where(Custody.citizen_id.is_not(None))
    if citizen_id is not None:
        R.require_citizen(session, client, citizen_id, now)
        stmt = stmt.where(Custody.citizen_id == citizen_id)
    if device_id is not None:
        R.get_device(session, device_id)
        stmt = stmt.where(Custody.device_id == device_id)
    if use_id is not None:
        stmt = stmt.where(Custody.id == use_id)
    if client.organisation_id is not None:
        stmt = stmt.where(organisation_sees(session, client.organisation_id, now, Custody.citizen_id))
    return list(session.scalars(stmt.order_by(Custody.started_at, Custody.id)))


def use(session: Session, client: ApiClient, use_id: int, now: dt.datetime) -> Custody:
    found = uses(session, client, now, use_id=use_id)
    if not found:
        raise NotFound(N_("No such device use."))
    return found[0]


def everything(session: Session, client: ApiClient, citizen_id: int, now: dt.datetime) -> Everything:
    """A citizen's bundle: herself, every device use of hers and the devices."""
    citizen = patient(session, client, citizen_id, now)
    intervals = uses(session, client, now, citizen_id=citizen_id)
    ids = sorted({c.device_id for c in intervals})
    devices = list(session.scalars(select(Device).where(Device.id.in_(ids)).order_by(Device.id))) if ids else []
    return Everything(citizen=citizen, uses=intervals, devices=devices)
