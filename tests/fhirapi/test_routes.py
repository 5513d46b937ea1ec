"""The FHIR routes over real HTTP: the searches, the CPR kept out of URLs, the token and scope checks answered as
OperationOutcome, the reads audited, and the query strings blanked in logs."""

from __future__ import annotations

from sqlalchemy import select

from api.service.tokens import Scope
from fhirapi.shapes import CPR_SYSTEM, SERIAL_SYSTEM, TAG_SYSTEM
from servicecenter.audit.models import AuditEvent
from servicecenter.logredact import redact
from tests.fhirapi.conftest import bearer
from tests.fhirapi.profiles import validate

READ = [Scope.READ_DEVICES.value, Scope.READ_CUSTODY.value]


def _ok(answer) -> dict:
    assert answer.status_code == 200, (answer.status_code, answer.json)
    assert answer.mimetype == "application/fhir+json"
    validate(answer.json)
    return answer.json


def _outcome(answer, status: int) -> dict:
    assert answer.status_code == status, (answer.status_code, answer.data[:300])
    assert answer.mimetype == "application/fhir+json"
    assert answer.json["resourceType"] == "OperationOutcome"
    validate(answer.json)
    return answer.json["issue"][0]


def test_a_device_is_owned_by_an_organisation_and_never_names_its_holder(client, api_world):
    device = api_world.our_devices[0]
    found = _ok(client.get(f"/fhir/Device/{device.id}", headers=bearer(api_world.token(READ))))
    assert found["owner"]["reference"] == f"Organization/{device.owner_organisation_id}"
    assert "patient" not in found and str(api_world.ours.id) not in str(found.get("location", ""))
    assert {"system": SERIAL_SYSTEM, "value": device.serial} | {"type": found["identifier"][0]["type"]} \
        == found["identifier"][0]


def test_devices_are_searched_by_serial_or_tag(client, api_world):
    device, headers = api_world.our_devices[0], bearer(api_world.token(READ))
    for identifier in (f"{SERIAL_SYSTEM}|{device.serial}", f"{TAG_SYSTEM}|{device.tag}", device.serial):
        bundle = _ok(client.get("/fhir/Device", query_string={"identifier": identifier}, headers=headers))
        assert str(device.id) in [e["resource"]["id"] for e in bundle["entry"]], identifier
    other = _ok(client.get("/fhir/Device", query_string={"identifier": f"urn:other|{device.serial}"},
                           headers=headers))
    assert other["total"] == 0
    assert _outcome(client.get("/fhir/Device", headers=headers), 400)["code"] == "invalid"
    assert _outcome(client.get("/fhir/Device", query_string={"name": "x"}, headers=headers), 400)


def test_a_citizens_device_uses_are_active_while_she_holds_them(client, api_world):
    headers = bearer(api_world.token(READ))
    bundle = _ok(client.get("/fhir/DeviceUseStatement", query_string={"patient": f"Patient/{api_world.ours.id}"},
                            headers=headers))
    uses = [e["resource"] for e in bundle["entry"]]
    assert {u["device"]["reference"] for u in uses} == {f"Device/{d.id}" for d in api_world.our_devices}
    assert {u["status"] for u in uses} == {"active"}
    by_device = _ok(client.get("/fhir/DeviceUseStatement", query_string={"device": api_world.our_devices[0].id},
                               headers=headers))
    assert [e["resource"]["subject"]["reference"] for e in by_device["entry"]] == [f"Patient/{api_world.ours.id}"]
    one = _ok(client.get(f"/fhir/DeviceUseStatement/{uses[0]['id']}", headers=headers))
    assert one == uses[0]


def test_a_picked_up_device_use_is_completed_with_its_end(client, api_world):
    # given a device of our citizen's picked up from her home (into the technician's van)
    device = api_world.our_devices[0]
    api_world.scan("collect", device.tag, api_world.van)
    # then its DeviceUseStatement is completed and has an end
    bundle = _ok(client.get("/fhir/DeviceUseStatement", query_string={"device": device.id},
                            headers=bearer(api_world.token(READ))))
    (use,) = [e["resource"] for e in bundle["entry"]]
    assert use["status"] == "completed" and "end" in use["timingPeriod"]


def test_a_cpr_number_is_searched_only_in_a_post_body(client, api_world):
    headers, cpr = bearer(api_world.token(READ)), api_world.ours.cpr
    issue = _outcome(client.get("/fhir/DeviceUseStatement", query_string={"patient.identifier": f"{CPR_SYSTEM}|{cpr}"},
                                headers=headers), 400)
    assert "POST" in issue["diagnostics"]
    bundle = _ok(client.post("/fhir/DeviceUseStatement/_search", data={"patient.identifier": f"{CPR_SYSTEM}|{cpr}"},
                             headers=headers))
    assert {e["resource"]["subject"]["reference"] for e in bundle["entry"]} == {f"Patient/{api_world.ours.id}"}
    assert _outcome(client.post("/fhir/DeviceUseStatement/_search", data={"patient.identifier": cpr},
                                headers=headers), 400)
    assert _outcome(client.post("/fhir/DeviceUseStatement/_search", data={}, headers=headers), 400)
    # on the POST too, a CPR number in the URL is refused, not ignored (found in review)
    in_url = _outcome(client.post("/fhir/DeviceUseStatement/_search",
                                  query_string={"patient.identifier": f"{CPR_SYSTEM}|{cpr}"},
                                  data={"patient": api_world.ours.id}, headers=headers), 400)
    assert "POST" in in_url["diagnostics"]


def test_a_patient_is_her_cpr_identifier_and_the_bundle_holds_her_devices(client, api_world):
    headers = bearer(api_world.token(READ))
    patient = _ok(client.get(f"/fhir/Patient/{api_world.ours.id}", headers=headers))
    assert patient["identifier"] == [{"use": "official", "system": CPR_SYSTEM, "value": api_world.ours.cpr}]
    assert api_world.ours.first_name not in str(patient)
    everything = _ok(client.get(f"/fhir/Patient/{api_world.ours.id}/$everything", headers=headers))
    devices = {e["resource"]["id"] for e in everything["entry"] if e["resource"]["resourceType"] == "Device"}
    assert devices == {str(d.id) for d in api_world.our_devices}


def test_every_citizen_returned_is_audited(client, session, api_world):
    token = api_world.token(READ, organisation=api_world.aarhus)
    client.get(f"/fhir/Patient/{api_world.ours.id}/$everything", headers=bearer(token))
    client.get("/fhir/DeviceUseStatement", query_string={"patient": api_world.ours.id}, headers=bearer(token))
    session.rollback()
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.citizen_id == api_world.ours.id,
                                                              AuditEvent.actor_role == "api")).all()
    assert {"fhir.everything", "fhir.device_uses"} <= set(actions)


def test_no_route_answers_without_a_valid_token(app, client, api_world):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/fhir/") or rule.endpoint == "fhir.metadata":
            continue
        url = rule.build({arg: 1 for arg in rule.arguments})[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            for headers in ({}, bearer("fsc_not-a-token"), {"Authorization": "Basic eDp5"}):
                issue = _outcome(client.open(url, method=method, headers=headers), 401)
                assert issue["code"] == "login", rule.endpoint


def test_a_token_without_the_scope_is_refused(client, api_world):
    devices_only = bearer(api_world.token([Scope.READ_DEVICES.value]))
    issue = _outcome(client.get(f"/fhir/Patient/{api_world.ours.id}", headers=devices_only), 403)
    assert issue["code"] == "forbidden" and "custody:read" in issue["diagnostics"]
    custody_only = bearer(api_world.token([Scope.READ_CUSTODY.value]))
    assert _outcome(client.get(f"/fhir/Patient/{api_world.ours.id}/$everything", headers=custody_only), 403)


def test_errors_are_operation_outcomes(client, api_world):
    headers = bearer(api_world.token(READ))
    assert _outcome(client.get("/fhir/Device/2147483647", headers=headers), 404)["code"] == "not-found"
    assert _outcome(client.get("/fhir/Nothing", headers=headers), 404)
    assert _outcome(client.delete(f"/fhir/Device/{api_world.our_devices[0].id}", headers=headers), 405)
    assert _outcome(client.get("/fhir/DeviceUseStatement", query_string={"patient": "99999999999"},
                               headers=headers), 400)


def test_the_capability_statement_is_public(client):
    statement = _ok(client.get("/fhir/metadata"))
    assert statement["fhirVersion"] == "4.0.1"
    assert {r["type"] for r in statement["rest"][0]["resource"]} == {"Device", "DeviceUseStatement", "Patient",
                                                                     "Organization"}


def test_fhir_query_strings_are_blanked_in_log_lines():
    line = ('10.0.0.1 "GET /fhir/Device?identifier=urn:fsc:device-serial|SN-4711 HTTP/1.1" 200 '
            '"https://x.dk/fhir/DeviceUseStatement?patient=42"')
    assert "SN-4711" not in redact(line) and "patient=42" not in redact(line)
    assert redact(line).count("?[query]") == 2
    assert redact("GET /fhir/Device/7 HTTP/1.1") == "GET /fhir/Device/7 HTTP/1.1"


def test_over_the_limit_the_outcome_keeps_retry_after(app, client, api_world):
    app.config["API_CALLS_PER_MINUTE"] = 2
    headers, url = bearer(api_world.token(READ)), f"/fhir/Device/{api_world.our_devices[0].id}"
    assert [client.get(url, headers=headers).status_code for _ in range(2)] == [200, 200]
    refused = client.get(url, headers=headers)
    assert _outcome(refused, 429)["code"] == "throttled" and 1 <= int(refused.headers["Retry-After"]) <= 60
    unauthorised = client.get(url)
    assert unauthorised.headers["WWW-Authenticate"].startswith("Bearer")


def test_diagnostics_speak_danish_by_default_and_english_on_request(client, api_world):
    headers = bearer(api_world.token(READ))
    danish = _outcome(client.get("/fhir/Device", query_string={"name": "x"}, headers=headers), 400)
    english = _outcome(client.get("/fhir/Device", query_string={"name": "x"},
                                  headers=headers | {"Accept-Language": "en"}), 400)
    assert danish["diagnostics"] == "Ukendt søgeparameter: name."
    assert english["diagnostics"] == "Unknown search parameter: name."
