"""The REST API's routes: each checks its token and scope (require_token), validates its input (spectree, against
the models in schemas.py), asks the service, audits the citizens it returns, and answers JSON. Errors are problem
details (api/problems.py)."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext

from api import schemas as S
from api.auth import Scope, current_client, record_api_reads, require_token
from api.problems import problem
from api.service import resources as R
from api.spec import responses, spec
from dispatch.service.visits import VisitRequest
from servicecenter import idempotency
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.extensions import db_session
from servicecenter.web import public
from support.models import Channel, RequesterKind
from support.service.tickets import TicketData

bp = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 document (no token needed: it describes, it holds no data)."""
    return current_app.json.response(spec.spec)


@bp.get("/docs")
@public
def docs():
    """The API described from its OpenAPI document, on a page of our own: nothing is loaded from elsewhere."""
    return render_template("api/docs.html", doc=spec.spec)


# --- devices ------------------------------------------------------------------------------------------------


@bp.get("/devices")
@require_token(Scope.READ_DEVICES)
@spec.validate(query=S.DeviceQuery, resp=responses(S.DevicePage, extra=(400,)), tags=["devices"])
def devices(query: S.DeviceQuery):
    """Devices by tag, serial number, model number or state, in pages."""
    s, now, client = db_session(), utcnow(), current_client()
    rows, cursor = R.page_of(R.find_devices(s, tag=query.tag, serial=query.serial, model=query.model,
                                            state=query.state, cursor=query.cursor, limit=query.limit), query.limit)
    visible = R.visible_citizens(s, client, {d.holder.citizen_id for d in rows}, now)
    page = S.DevicePage(items=[_device(d, visible) for d in rows], next_cursor=cursor)
    return _audited(page, visible, "api.devices")


@bp.get("/devices/<int:device_id>")
@require_token(Scope.READ_DEVICES)
@spec.validate(resp=responses(S.DeviceOut, extra=(304, 404)), tags=["devices"])
def device(device_id: int):
    """One device: its model, state, owner and where it is now."""
    s, now, client = db_session(), utcnow(), current_client()
    found = R.get_device(s, device_id)
    visible = R.visible_citizens(s, client, {found.holder.citizen_id}, now)
    return _audited(_device(found, visible), visible, "api.device", etag=True)


@bp.get("/devices/<int:device_id>/custody")
@require_token(Scope.READ_CUSTODY)
@spec.validate(query=S.Page, resp=responses(S.CustodyPage, extra=(400, 404)), tags=["custody"])
def device_custody(device_id: int, query: S.Page):
    """A device's custody intervals, oldest first: every place it has been, from when until when."""
    s, now, client = db_session(), utcnow(), current_client()
    rows, cursor = R.page_of(R.device_intervals(s, device_id, cursor=query.cursor, limit=query.limit), query.limit,
                             key=lambda row: row[0].id)
    visible = R.visible_citizens(s, client, {holder.citizen_id for _c, holder in rows}, now)
    page = S.CustodyPage(items=[_interval(c, h, visible) for c, h in rows],
                         next_cursor=cursor)
    return _audited(page, visible, "api.custody")


@bp.get("/devices/<int:device_id>/holder")
@require_token(Scope.READ_CUSTODY)
@spec.validate(query=S.AtQuery, resp=responses(S.CustodyOut, extra=(404,)), tags=["custody"])
def device_holder(device_id: int, query: S.AtQuery):
    """Who had device X at time T: the custody interval that contains T (404 when it did not exist yet)."""
    s, now, client = db_session(), utcnow(), current_client()
    found = R.custody_at(s, device_id, query.at or now)
    if found is None:
        return problem(404, gettext("The device was not registered at that time."))
    custody, holder = found
    visible = R.visible_citizens(s, client, {holder.citizen_id}, now)
    return _audited(_interval(custody, holder, visible), visible, "api.custody_at")


# --- citizens -----------------------------------------------------------------------------------------------


@bp.post("/citizens/lookup")
@require_token(Scope.READ_COURSES)
@spec.validate(json=S.CprLookup, resp=responses(S.CitizenRef, extra=(404,)), tags=["citizens"])
def citizen_lookup(json: S.CprLookup):
    """The citizen's id from her CPR number, sent in the body (never in a URL, which ends up in logs)."""
    s, now, client = db_session(), utcnow(), current_client()
    citizen_id = R.citizen_by_cpr(s, client, json.cpr, now)
    return _audited(S.CitizenRef(citizen_id=citizen_id), {citizen_id}, "api.citizen_lookup")


@bp.get("/citizens/<int:citizen_id>/courses")
@require_token(Scope.READ_COURSES)
@spec.validate(resp=responses(S.CourseList, extra=(404,)), tags=["citizens"])
def citizen_courses(citizen_id: int):
    """A citizen's courses: the programme and the state, nothing else of her."""
    s, now, client = db_session(), utcnow(), current_client()
    courses = R.courses_of(s, client, citizen_id, now)
    items = [S.CourseOut(id=c.id, citizen_id=c.citizen_id, programme=c.programme.code, state=c.status,
                         referred_at=c.referred_at, activated_at=c.activated_at, ended_at=c.ended_at,
                         end_reason=c.end_reason, lead_organisation_id=c.lead_organisation_id) for c in courses]
    return _audited(S.CourseList(items=items), {citizen_id}, "api.courses")


@bp.get("/citizens/<int:citizen_id>/devices")
@require_token(Scope.READ_CUSTODY)
@spec.validate(query=S.AtQuery, resp=responses(S.HeldOut, extra=(404,)), tags=["custody"])
def citizen_devices(citizen_id: int, query: S.AtQuery):
    """What citizen Y held at time T (now when T is left out)."""
    s, now, client = db_session(), utcnow(), current_client()
    at = query.at or now
    held = R.held_by_citizen_at(s, client, citizen_id, at, now)
    out = S.HeldOut(citizen_id=citizen_id, at=at, devices=[_device(d, {citizen_id}) for d in held])
    return _audited(out, {citizen_id}, "api.held_at")


# --- visits -------------------------------------------------------------------------------------------------


@bp.get("/visits")
@require_token(Scope.READ_VISITS)
@spec.validate(query=S.VisitQuery, resp=responses(S.VisitPage, extra=(400,)), tags=["visits"])
def visits(query: S.VisitQuery):
    """Visits of the citizens the token may see, in pages; by citizen, kind and status."""
    s, now, client = db_session(), utcnow(), current_client()
    rows, cursor = R.page_of(R.find_visits(s, client, now, citizen_id=query.citizen_id, kind=query.kind,
                                           status=query.status, cursor=query.cursor, limit=query.limit), query.limit)
    page = S.VisitPage(items=[_visit(v) for v in rows], next_cursor=cursor)
    return _audited(page, {v.citizen_id for v in rows}, "api.visits")


@bp.get("/visits/<int:visit_id>")
@require_token(Scope.READ_VISITS)
@spec.validate(resp=responses(S.VisitOut, extra=(304, 404)), tags=["visits"])
def visit(visit_id: int):
    """One visit: its kind, state, the wished period, the booked day and window, and how it ended."""
    s, now, client = db_session(), utcnow(), current_client()
    found = R.get_visit(s, client, visit_id, now)
    return _audited(_visit(found), {found.citizen_id}, "api.visit", etag=True)


@bp.post("/visit-requests")
@require_token(Scope.WRITE_VISIT_REQUESTS)
@spec.validate(json=S.SetupRequestIn, resp=responses(S.VisitOut, status=201, extra=(400, 404, 409)),
               tags=["visits"])
def request_setup(json: S.SetupRequestIn):
    """A nurse's system asks for a setup visit: the citizen is referred to the programme and the visit requested
    (as on the nurse's page). Only a token issued to an organisation may."""
    s, now, client = db_session(), utcnow(), current_client()
    wish = VisitRequest(earliest_on=json.earliest_on, latest_on=json.latest_on, time_of_day=json.time_of_day,
                        urgency=json.urgency, relative_present=json.relative_present,
                        interpreter_needed=json.interpreter_needed, hearing_needs=json.hearing_needs, notes=json.notes)
    try:
        with unit_of_work(s):
            made = _once(s, lambda: R.request_setup(s, client, citizen_id=json.citizen_id, programme=json.programme,
                                                    request=wish, now=now, today=local_date(now)))
            out = _visit(made)
    except idempotency.AlreadyCreated as done:
        return _replayed(done.ref, lambda ref: _visit(R.get_visit(s, client, ref, now)))
    return out, 201, {"Location": url_for("api.visit", visit_id=out.id)}


# --- tickets ------------------------------------------------------------------------------------------------


@bp.get("/tickets")
@require_token(Scope.READ_TICKETS)
@spec.validate(query=S.TicketQuery, resp=responses(S.TicketPage, extra=(400,)), tags=["tickets"])
def tickets(query: S.TicketQuery):
    """Tickets about the citizens the token may see, in pages; by citizen and state."""
    s, now, client = db_session(), utcnow(), current_client()
    rows, cursor = R.page_of(R.find_tickets(s, client, now, citizen_id=query.citizen_id, status=query.status,
                                            cursor=query.cursor, limit=query.limit), query.limit)
    page = S.TicketPage(items=[_ticket(t) for t in rows], next_cursor=cursor)
    return _audited(page, {t.citizen_id for t in rows if t.citizen_id}, "api.tickets")


@bp.get("/tickets/<int:ticket_id>")
@require_token(Scope.READ_TICKETS)
@spec.validate(resp=responses(S.TicketOut, extra=(304, 404)), tags=["tickets"])
def ticket(ticket_id: int):
    """One ticket's state: open, waiting, resolved (with when)."""
    s, now, client = db_session(), utcnow(), current_client()
    found = R.get_ticket(s, client, ticket_id, now)
    return _audited(_ticket(found), {found.citizen_id} - {None}, "api.ticket", etag=True)


@bp.post("/tickets")
@require_token(Scope.CREATE_TICKETS)
@spec.validate(json=S.TicketIn, resp=responses(S.TicketOut, status=201, extra=(400, 404)), tags=["tickets"])
def create_ticket(json: S.TicketIn):
    """A ticket from another system, into the helpdesk's queue (its SLA starts now)."""
    s, now, client = db_session(), utcnow(), current_client()
    data = TicketData(subject=json.subject, category=json.category, priority=json.priority, body=json.body,
                      citizen_id=json.citizen_id, device_id=json.device_id, channel=Channel.PORTAL,
                      requester_kind=RequesterKind.STAFF, requester_name=client.name)
    try:
        with unit_of_work(s):
            made = _once(s, lambda: R.create_ticket(s, client, data, now=now))
            out = _ticket(made)
    except idempotency.AlreadyCreated as done:
        return _replayed(done.ref, lambda ref: _ticket(R.get_ticket(s, client, ref, now)))
    return out, 201, {"Location": url_for("api.ticket", ticket_id=out.id)}


# --- shaping ------------------------------------------------------------------------------------------------


def _device(device, visible: set[int]) -> S.DeviceOut:
    model = device.model
    return S.DeviceOut(
        id=device.id, tag=device.tag, serial=device.serial, state=device.status,
        firmware_version=device.firmware_version,
        owner_organisation_id=device.owner_organisation_id, last_moved_at=device.last_moved_at,
        model=S.DeviceModelOut(id=model.id, model_number=model.model_number, name=model.name,
                               manufacturer=model.manufacturer, category=model.category),
        place=S.PlaceOut(**R.place_of(device.holder, visible)))


def _interval(custody, holder, visible: set[int]) -> S.CustodyOut:
    return S.CustodyOut(device_id=custody.device_id, place=S.PlaceOut(**R.place_of(holder, visible)),
                        started_at=custody.started_at, ended_at=custody.ended_at)


def _minutes(value: int | None) -> str | None:
    return None if value is None else f"{value // 60:02d}:{value % 60:02d}"


def _visit(visit) -> S.VisitOut:
    return S.VisitOut(id=visit.id, kind=visit.kind, status=visit.status, course_id=visit.course_id,
                      citizen_id=visit.citizen_id, requested_at=visit.requested_at, earliest_on=visit.earliest_on,
                      latest_on=visit.latest_on, scheduled_on=visit.scheduled_on,
                      window_start=_minutes(visit.window_start), window_end=_minutes(visit.window_end),
                      finished_at=visit.finished_at,
                      failure_reason=visit.failure_reason.value if visit.failure_reason else None)


def _ticket(ticket) -> S.TicketOut:
    return S.TicketOut(id=ticket.id, subject=ticket.subject, category=ticket.category, priority=ticket.priority,
                       status=ticket.status, citizen_id=ticket.citizen_id, device_id=ticket.device_id,
                       opened_at=ticket.opened_at, resolved_at=ticket.resolved_at)


def _once(session, create):
    """Create unless this token already sent the same Idempotency-Key header (a retry after a lost answer)."""
    key = request.headers.get("Idempotency-Key", "").strip()[:48]
    client = current_client()
    return idempotency.create_once(session, key and f"api:{client.token_id}:{key}", create, kind=request.endpoint,
                                   actor_id=None, now=utcnow())


def _replayed(ref: str | None, shape):
    """The answer to a retried create: what the first call made (200, marked as a replay), or a conflict when the
    key was used for another kind of request."""
    if not ref or not ref.isdigit():
        return problem(409, gettext("This Idempotency-Key was used for another kind of request."))
    return shape(int(ref)), 200, {"Idempotent-Replayed": "true"}


def _audited(model, citizen_ids: set[int], action: str, *, etag: bool = False):
    """The answer, after the reads of the citizens in it are recorded (rendered first: the write transaction then
    expires nothing the answer still needs). A single resource carries an ETag; If-None-Match gets a 304."""
    body = model.model_dump_json()
    if citizen_ids:
        s = db_session()
        with unit_of_work(s):
            record_api_reads(s, current_client(), sorted(citizen_ids), action=action, now=utcnow())
    response = Response(body, mimetype="application/json")
    if etag:
        response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
        response.make_conditional(request)
    return response
