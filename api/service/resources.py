"""What the API's routes read and do, for a client (an integration behind a token). Every question that can reach a
citizen asks the need-to-know rule for the token's organisation (`organisation_sees`): outside it, a citizen does
not exist (NotFound) and a device's home is not named. Only flushes; the caller's unit of work commits."""

from __future__ import annotations

import base64
import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, lazyload

from api.service.tokens import ApiClient
from dispatch.models import Visit, VisitKind, VisitStatus
from dispatch.service import visits as visit_service
from inventory.models import Custody, Device, DeviceModel, DeviceStatus, Holder, HolderKind
from servicecenter.citizens.access import organisation_sees
from servicecenter.citizens.models import Citizen
from servicecenter.courses.models import Course, Programme
from servicecenter.errors import N_, DomainError, NotFound
from support.models import Ticket, TicketStatus
from support.service import tickets as ticket_service

# --- paging: an opaque cursor over ids, in the order of the id -----------------------------------------------


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        if kind == "id" and value.isdigit():
            return int(value)
    except (ValueError, UnicodeDecodeError):
        pass
    raise DomainError(N_("The cursor is not one this API gave."), field="cursor")


def page_of(rows: list, limit: int, key=lambda row: row.id) -> tuple[list, str | None]:
    """The rows of a page (asked for limit + 1) and the cursor of the next one, if there is one."""
    if len(rows) > limit:
        return rows[:limit], encode_cursor(key(rows[limit - 1]))
    return rows, None


# --- devices ------------------------------------------------------------------------------------------------


def find_devices(session: Session, *, tag: str | None = None, serial: str | None = None, model: str | None = None,
                 state: DeviceStatus | None = None, cursor: str | None = None, limit: int = 50) -> list[Device]:
    """Devices in id order, filtered by tag, serial, model number and state; limit + 1 rows (see page_of)."""
    stmt = select(Device).where(Device.id > decode_cursor(cursor))
    if tag:
        stmt = stmt.where(Device.tag == tag.strip().upper())
    if serial:
        stmt = stmt.where(Device.serial == serial.strip())
    if model:
        stmt = stmt.where(Device.model_id.in_(select(DeviceModel.id).where(DeviceModel.model_number == model)))
    if state:
        stmt = stmt.where(Device.status == state)
    return list(session.scalars(stmt.order_by(Device.id).limit(limit + 1)))


def get_device(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(N_("No such device."))
    return device


def visible_citizens(session: Session, client: ApiClient, citizen_ids: set[int], now: dt.datetime) -> set[int]:
    """Those of these citizens the token may see."""
    ids = {i for i in citizen_ids if i is not None}
    if not ids:
        return set()
    if client.organisation_id is None:
        return ids
    return set(session.scalars(select(Citizen.id).where(
        Citizen.id.in_(ids), organisation_sees(session, client.organisation_id, now))))


def require_citizen(session: Session, client: ApiClient, citizen_id: int, now: dt.datetime) -> None:
    """NotFound unless the citizen exists and the token may see her (for an organisation's token the need-to-know
    query reads the citizens table, so a citizen it returns exists)."""
    if client.organisation_id is None:
        exists = session.scalar(select(Citizen.id).where(Citizen.id == citizen_id)) is not None
    else:
        exists = bool(visible_citizens(session, client, {citizen_id}, now))
    if not exists:
        raise NotFound(N_("No such citizen."))


def device_intervals(session: Session, device_id: int, *, cursor: str | None = None, limit: int = 50
                     ) -> list[tuple[Custody, Holder]]:
    """A device's custody intervals, oldest first: where it was, from when until when. The device is looked up
    only when the page is empty (NotFound if it does not exist): one statement fewer on every other call."""
    rows = list(session.execute(
        select(Custody, Holder).join(Holder, Holder.id == Custody.holder_id)
        .where(Custody.device_id == device_id, Custody.id > decode_cursor(cursor))
        .order_by(Custody.id).limit(limit + 1)))
    if not rows:
        get_device(session, device_id)
    return rows


def custody_at(session: Session, device_id: int, at: dt.datetime) -> tuple[Custody, Holder] | None:
    """Who had device X at time T: the custody interval that contains T (None when there is none; NotFound when
    the device does not exist, looked up only then)."""
    found = session.execute(
        select(Custody, Holder).join(Holder, Holder.id == Custody.holder_id)
        .where(Custody.device_id == device_id, Custody.started_at <= at,
               or_(Custody.ended_at.is_(None), Custody.ended_at > at))
        .order_by(Custody.started_at.desc(), Custody.id.desc()).limit(1)).first()
    if found is None:
        get_device(session, device_id)
    return found


def held_by_citizen_at(session: Session, client: ApiClient, citizen_id: int, at: dt.datetime,
                       now: dt.datetime) -> list[Device]:
    """What citizen Y held at time T (a citizen the token may not see does not exist)."""
    require_citizen(session, client, citizen_id, now)
    ids = select(Custody.device_id).where(Custody.citizen_id == citizen_id, Custody.started_at <= at,
                                          or_(Custody.ended_at.is_(None), Custody.ended_at > at))
    return list(session.scalars(select(Device).where(Device.id.in_(ids)).order_by(Device.id)))


# --- citizens and their courses ----------------------------------------------------------------------------


def citizen_by_cpr(session: Session, client: ApiClient, cpr: str, now: dt.datetime) -> int:
    """The id of the citizen with this CPR number (sent in a body, never in a URL), if the token may see her."""
    digits = "".join(ch for ch in cpr if ch.isdigit())
    citizen_id = session.scalar(select(Citizen.id).where(Citizen.cpr == digits)) if len(digits) == 10 else None
    if citizen_id is None:
        raise NotFound(N_("No such citizen."))
    require_citizen(session, client, citizen_id, now)
    return citizen_id


def courses_of(session: Session, client: ApiClient, citizen_id: int, now: dt.datetime) -> list[Course]:
    require_citizen(session, client, citizen_id, now)
    return list(session.scalars(select(Course).options(lazyload(Course.citizen))
                                .where(Course.citizen_id == citizen_id).order_by(Course.id)))


# --- visits -------------------------------------------------------------------------------------------------


def _bare_visits():
    return select(Visit).options(lazyload(Visit.citizen), lazyload(Visit.technician), lazyload(Visit.course))


def find_visits(session: Session, client: ApiClient, now: dt.datetime, *, citizen_id: int | None = None,
                kind: VisitKind | None = None, status: VisitStatus | None = None, cursor: str | None = None,
                limit: int = 50) -> list[Visit]:
    stmt = _bare_visits().where(Visit.id > decode_cursor(cursor))
    if client.organisation_id is not None:
        stmt = stmt.where(organisation_sees(session, client.organisation_id, now, Visit.citizen_id, of_a_course=True))
    if citizen_id:
        stmt = stmt.where(Visit.citizen_id == citizen_id)
    if kind:
        stmt = stmt.where(Visit.kind == kind)
    if status:
        stmt = stmt.where(Visit.status == status)
    return list(session.scalars(stmt.order_by(Visit.id).limit(limit + 1)))


def get_visit(session: Session, client: ApiClient, visit_id: int, now: dt.datetime) -> Visit:
    visit = session.scalar(_bare_visits().where(Visit.id == visit_id))
    if visit is None or not visible_citizens(session, client, {visit.citizen_id}, now):
        raise NotFound(N_("No such visit."))
    return visit


def request_setup(session: Session, client: ApiClient, *, citizen_id: int, programme: str,
                  request: visit_service.VisitRequest, now: dt.datetime, today: dt.date) -> Visit:
    """A nurse's system asks for a setup visit: the citizen is referred and the visit requested, as on the nurse's
    page. Only a token of an organisation may (the request is that organisation's)."""
    if client.organisation_id is None:
        raise DomainError(N_("A visit request comes from an organisation: use a token issued for one."))
    require_citizen(session, client, citizen_id, now)
    programme_id = session.scalar(select(Programme.id).where(Programme.code == programme))
    if programme_id is None:
        raise DomainError(N_("No such programme."), field="programme")
    return visit_service.request_setup(session, citizen_id=citizen_id, programme_id=programme_id, request=request,
                                       actor=client, now=now, today=today)


# --- tickets ------------------------------------------------------------------------------------------------


def find_tickets(session: Session, client: ApiClient, now: dt.datetime, *, citizen_id: int | None = None,
                 status: TicketStatus | None = None, cursor: str | None = None, limit: int = 50) -> list[Ticket]:
    stmt = select(Ticket).where(Ticket.id > decode_cursor(cursor))
    if client.organisation_id is not None:  # an organisation sees its citizens' tickets, none without a citizen
        stmt = stmt.where(and_(Ticket.citizen_id.is_not(None),
                               organisation_sees(session, client.organisation_id, now, Ticket.citizen_id)))
    if citizen_id:
        stmt = stmt.where(Ticket.citizen_id == citizen_id)
    if status:
        stmt = stmt.where(Ticket.status == status)
    return list(session.scalars(stmt.order_by(Ticket.id).limit(limit + 1)))


def get_ticket(session: Session, client: ApiClient, ticket_id: int, now: dt.datetime) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    visible = ticket is not None and (client.organisation_id is None or (
        ticket.citizen_id is not None and visible_citizens(session, client, {ticket.citizen_id}, now)))
    if not visible:
        raise NotFound(N_("No such ticket."))
    return ticket


def create_ticket(session: Session, client: ApiClient, data: ticket_service.TicketData, *, now: dt.datetime
                  ) -> Ticket:
    """A ticket from another system (channel: portal, requester: staff of the sending organisation)."""
    if client.organisation_id is not None and data.citizen_id is None:
        raise DomainError(N_("A ticket from an organisation's system names the citizen it is about."),
                          field="citizen_id")
    if data.citizen_id is not None:
        require_citizen(session, client, data.citizen_id, now)
    if data.device_id is not None:
        get_device(session, data.device_id)
    return ticket_service.create_ticket(session, data, actor=client, now=now)


def place_of(holder: Holder, visible: set[int]) -> dict:
    """A place as the API shows it: a home names its citizen only to a token that may see her."""
    if holder.kind == HolderKind.COURSE:
        return {"kind": holder.kind, "name": None,
                "citizen_id": holder.citizen_id if holder.citizen_id in visible else None}
    return {"kind": holder.kind, "name": holder.name, "citizen_id": None}
