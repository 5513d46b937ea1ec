"""A municipality's token never sees another municipality's citizen through any FHIR route: every route × (our
citizen, their citizen). Outside need-to-know a citizen's own routes answer 404 (an OperationOutcome) as for one who
does not exist; a device's routes never name her. Inside, the same call names our citizen (so the test can fail).

CASES names every FHIR route: a new route makes this test fail until someone decides how it is checked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.service.tokens import Scope
from fhirapi.shapes import CPR_SYSTEM
from inventory.models import Custody
from tests.fhirapi.conftest import bearer


def _ids(w, side: str) -> dict:
    citizen = w.ours if side == "ours" else w.theirs
    devices = w.our_devices if side == "ours" else w.their_devices
    use = w.s.scalar(select(Custody.id).where(Custody.citizen_id == citizen.id).order_by(Custody.id))
    return {"citizen": citizen, "device": devices[0], "use": use}


# endpoint -> (method, path, request extras from the ids, what the foreign side gets: "404" or "unnamed")
CASES = {
    "fhir.device": ("GET", lambda i: f"/fhir/Device/{i['device'].id}", None, "unnamed"),
    "fhir.device_search": ("GET", lambda i: "/fhir/Device", lambda i: {
        "query_string": {"identifier": i["device"].serial}}, "unnamed"),
    "fhir.organization": ("GET", lambda i: f"/fhir/Organization/{i['citizen'].municipality_id}", None, "unnamed"),
    "fhir.device_use": ("GET", lambda i: f"/fhir/DeviceUseStatement/{i['use']}", None, "404"),
    "fhir.device_use_search": ("GET", lambda i: "/fhir/DeviceUseStatement", lambda i: {
        "query_string": {"patient": f"Patient/{i['citizen'].id}"}}, "404"),
    "fhir.device_use_search_post": ("POST", lambda i: "/fhir/DeviceUseStatement/_search", lambda i: {
        "data": {"patient.identifier": f"{CPR_SYSTEM}|{i['citizen'].cpr}"}}, "404"),
    "fhir.patient": ("GET", lambda i: f"/fhir/Patient/{i['citizen'].id}", None, "404"),
    "fhir.patient_everything": ("GET", lambda i: f"/fhir/Patient/{i['citizen'].id}/$everything", None, "404"),
}
NOT_DATA = {"fhir.metadata": "the CapabilityStatement"}
# A device's uses: the device is no citizen's; the foreign citizen's uses are left out of the bundle.
BY_DEVICE = ("GET", lambda i: "/fhir/DeviceUseStatement", lambda i: {"query_string": {"device": i["device"].id}},
             "unnamed")


def test_every_fhir_route_is_in_the_matrix(app):
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/fhir/")}
    assert routes == set(CASES) | set(NOT_DATA)


def _names(value, citizen) -> bool:
    """Whether this FHIR JSON points at the citizen: a Patient/<id> reference, her Patient resource, her CPR."""
    text = str(value)
    return f"'Patient/{citizen.id}'" in text or citizen.cpr in text


@pytest.mark.parametrize("case", sorted(CASES) + ["device_uses_by_device"])
def test_a_municipalitys_token_never_sees_another_municipalitys_citizen(case, client, api_world):
    token = api_world.token([s.value for s in Scope], organisation=api_world.aarhus)
    method, path, extra, outside = BY_DEVICE if case == "device_uses_by_device" else CASES[case]
    for side, expect_named in (("theirs", False), ("ours", True)):
        ids = _ids(api_world, side)
        answer = client.open(path(ids), method=method, headers=bearer(token), **(extra(ids) if extra else {}))
        assert answer.mimetype == "application/fhir+json"
        if not expect_named and outside == "404":
            assert answer.status_code == 404, (case, answer.status_code, answer.json)
            assert answer.json["resourceType"] == "OperationOutcome"
        else:
            assert answer.status_code == 200, (case, side, answer.status_code, answer.json)
        named = answer.status_code == 200 and _names(answer.json, ids["citizen"])
        if case in ("fhir.device", "fhir.device_search", "fhir.organization"):
            expect_named = False  # a device or an organisation never points at a patient, ours included
        assert named is expect_named, (case, side, answer.json)


def test_the_service_centres_token_sees_both(client, api_world):
    token = api_world.token([Scope.READ_CUSTODY.value, Scope.READ_DEVICES.value])
    for citizen in (api_world.ours, api_world.theirs):
        assert client.get(f"/fhir/Patient/{citizen.id}/$everything", headers=bearer(token)).status_code == 200
