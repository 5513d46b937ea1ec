"""The FHIR routes: each checks its token and scope (api/auth.py's require_token, the REST API's own), parses its
search parameters, asks the service, audits the citizens it returns, and answers application/fhir+json. Errors are
OperationOutcome (fhirapi/outcome.py).

A CPR number never travels in a URL: `patient.identifier` is taken only from the form body of
POST /fhir/DeviceUseStatement/_search."""

from __future__ import annotations

from flask import Blueprint, request, url_for
from flask_babel import gettext

from api.auth import Scope, current_client, record_api_reads, require_token
from api.service import resources as R
from fhirapi import service as F
from fhirapi import shapes
from fhirapi.outcome import fhir_response, from_problem, outcome
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.errors import N_, DomainError
from servicecenter.extensions import db_session
from servicecenter.inputguards import bounded_int
from servicecenter.web import public

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
bp.after_request(from_problem)

USE_PARAMS = {"patient", "device"}
CPR_PARAM = "patient.identifier"  # POST only


@bp.get("/metadata")
@public
def metadata():
    """The CapabilityStatement (no token needed: it describes, it holds no data)."""
    base = url_for("fhir.metadata", _external=True).removesuffix("/metadata")
    return fhir_response(shapes.capability_statement(base=base, published=local_date(utcnow())))


# --- devices and organisations ------------------------------------------------------------------------------


@bp.get("/Device/<int:device_id>")
@require_token(Scope.READ_DEVICES)
def device(device_id: int):
    s = db_session()
    return fhir_response(shapes.device(R.get_device(s, device_id), F.supplier(s)))


@bp.get("/Device")
@require_token(Scope.READ_DEVICES)
def device_search():
    """Devices by identifier: `<system>|<serial>` (the SNO identifier), the asset tag's system, or a bare value."""
    params = _params(request.args, {"identifier"})
    if "identifier" not in params:
        return outcome(400, gettext("Search devices by identifier (system|value)."))
    s = db_session()
    supplier = F.supplier(s)
    found = F.devices_by_identifier(s, params["identifier"])
    return fhir_response(shapes.bundle([_entry(shapes.device(d, supplier), "match") for d in found]))


@bp.get("/Organization/<int:organisation_id>")
@require_token(Scope.READ_DEVICES)
def organization(organisation_id: int):
    """An organisation a Device or Patient refers to: its name and kind."""
    return fhir_response(shapes.organization(F.organisation(db_session(), organisation_id)))


# --- device use, patients -----------------------------------------------------------------------------------


@bp.get("/DeviceUseStatement/<int:use_id>")
@require_token(Scope.READ_CUSTODY)
def device_use(use_id: int):
    found = F.use(db_session(), current_client(), use_id, utcnow())
    return _audited(shapes.device_use_statement(found), {found.citizen_id}, "fhir.device_use")


@bp.get("/DeviceUseStatement")
@require_token(Scope.READ_CUSTODY)
def device_use_search():
    """A citizen's device uses (patient=<Patient id>) or a device's (device=<Device id>)."""
    if CPR_PARAM in request.args:
        return _cpr_in_url()
    return _search_uses(_params(request.args, USE_PARAMS))


def _cpr_in_url():
    return outcome(400, gettext("Send a CPR number in the body of POST /fhir/DeviceUseStatement/_search, never in "
                                "a URL."))


@bp.post("/DeviceUseStatement/_search")
@require_token(Scope.READ_CUSTODY)
def device_use_search_post():
    """The same search with its parameters in a form body, where a CPR number may be (patient.identifier); one in
    the query string is refused as on GET, not ignored."""
    if CPR_PARAM in request.args:
        return _cpr_in_url()
    return _search_uses(_params(request.form, USE_PARAMS | {CPR_PARAM}))


@bp.get("/Patient/<int:citizen_id>")
@require_token(Scope.READ_CUSTODY)
def patient(citizen_id: int):
    """A citizen as DK Core identifies her: the CPR identifier and her municipality, no name."""
    found = F.patient(db_session(), current_client(), citizen_id, utcnow())
    return _audited(shapes.patient(found), {citizen_id}, "fhir.patient")


@bp.get("/Patient/<int:citizen_id>/$everything")
@require_token(Scope.READ_CUSTODY, Scope.READ_DEVICES)
def patient_everything(citizen_id: int):
    """A citizen's bundle: the Patient, her DeviceUseStatements and the Devices in them."""
    s = db_session()
    found = F.everything(s, current_client(), citizen_id, utcnow())
    supplier = F.supplier(s)
    entries = [_entry(shapes.patient(found.citizen), "match")]
    entries += [_entry(shapes.device_use_statement(c), "match") for c in found.uses]
    entries += [_entry(shapes.device(d, supplier), "match") for d in found.devices]
    return _audited(shapes.bundle(entries), {citizen_id}, "fhir.everything")


# --- helpers ------------------------------------------------------------------------------------------------


def _params(source, allowed: set[str]) -> dict[str, str]:
    """The search parameters, each at most once; an unknown one is refused rather than silently ignored."""
    unknown = sorted(set(source) - allowed - {"_format"})
    if unknown:
        raise DomainError(N_("Unknown search parameter: %(names)s."), names=", ".join(unknown))
    return {name: source.get(name, "") for name in allowed if name in source}


def _reference(value: str, kind: str, name: str) -> int:
    """The id in a reference parameter: `7` or `Patient/7`."""
    try:
        return bounded_int(value.strip().removeprefix(f"{kind}/"))
    except ValueError:
        raise DomainError(N_("The search parameter %(name)s takes a %(kind)s id."), field=name, name=name,
                            kind=kind) from None


def _search_uses(params: dict[str, str]):
    if not params:
        return outcome(400, gettext("Search device uses by patient, patient.identifier or device."))
    s, now, client = db_session(), utcnow(), current_client()
    citizen_id = _reference(params["patient"], "Patient", "patient") if "patient" in params else None
    if CPR_PARAM in params:
        found = F.citizen_by_identifier(s, client, params[CPR_PARAM], now)
        if citizen_id not in (None, found):
            return fhir_response(shapes.bundle([]))
        citizen_id = found
    device_id = _reference(params["device"], "Device", "device") if "device" in params else None
    found = F.uses(s, client, now, citizen_id=citizen_id, device_id=device_id)
    return _audited(shapes.bundle([_entry(shapes.device_use_statement(c), "match") for c in found]),
                    {c.citizen_id for c in found}, "fhir.device_uses")


ENDPOINTS = {"Device": ("fhir.device", "device_id"), "DeviceUseStatement": ("fhir.device_use", "use_id"),
             "Patient": ("fhir.patient", "citizen_id"), "Organization": ("fhir.organization", "organisation_id")}


def _entry(resource: dict, mode: str) -> tuple[str, dict, str]:
    endpoint, arg = ENDPOINTS[resource["resourceType"]]
    return url_for(endpoint, **{arg: int(resource["id"])}, _external=True), resource, mode


def _audited(resource: dict, citizen_ids: set[int], action: str):
    """The answer, rendered before the reads of the citizens in it are recorded (see api/views.py)."""
    response = fhir_response(resource)
    if citizen_ids:
        s = db_session()
        with unit_of_work(s):
            record_api_reads(s, current_client(), sorted(citizen_ids), action=action, now=utcnow())
    return response
