"""The REST API: tokens (hashed, shown once, revocable, last use), scopes, the resources, cursor paging, ETags,
problem details, the rate limit with Retry-After, Idempotency-Key on creates, and the audit of every citizen read."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import func, select

from api.models import ApiToken
from api.service.tokens import Scope
from dispatch.models import Visit, VisitKind
from inventory.models import Device
from servicecenter.audit.models import AuditEvent
from servicecenter.db import local_date, utcnow
from support.models import Ticket
from tests.api.conftest import bearer


def test_a_token_is_kept_only_as_its_hash_and_refused_once_revoked(app, client, session, api_world):
    token = api_world.token([Scope.READ_DEVICES])
    row = session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
    assert token not in (row.token_hash, row.prefix) and row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert client.get("/api/v1/devices", headers=bearer(token)).status_code == 200
    session.rollback()
    assert row.last_used_at is not None  # the last use is recorded
    client.login(api_world.admin.username)
    page = client.post(f"/admin/api-tokens/{row.id}/revoke", follow_redirects=True)
    assert page.status_code == 200
    refused = client.get("/api/v1/devices", headers=bearer(token))
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert refused.json["status"] == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_no_token_a_wrong_token_and_a_missing_scope_are_refused_as_problems(client, api_world):
    narrow = api_world.token([Scope.READ_DEVICES])
    assert client.get("/api/v1/devices").status_code == 401
    assert client.get("/api/v1/devices", headers=bearer("fsc_not-a-token")).status_code == 401
    assert client.get("/api/v1/devices", headers={"Authorization": f"Basic {narrow}"}).status_code == 401
    forbidden = client.get(f"/api/v1/devices/{api_world.our_devices[0].id}/custody", headers=bearer(narrow))
    assert forbidden.status_code == 403 and "custody:read" in forbidden.json["detail"]
    unknown = client.get("/api/v1/nothing-here", headers=bearer(narrow))
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"


def test_a_nul_byte_anywhere_in_an_api_call_is_refused_as_a_problem_not_a_page(client, api_world):
    """The input guard runs before the API's own checks; its answer must still be in the API's format (found by
    schemathesis: a cursor of "%05%00" got the HTML error page)."""
    token = api_world.token([Scope.READ_TICKETS])
    for url in ("/api/v1/tickets?cursor=%05%00", "/api/v1/tickets?limit=5%00"):
        refused = client.get(url, headers=bearer(token))
        assert refused.status_code == 400 and refused.mimetype == "application/problem+json", url
        assert "NUL" in refused.json["detail"]
    page = client.get("/login?next=%00")
    assert page.status_code == 400 and page.mimetype == "text/html"


def test_the_admin_issues_a_token_and_sees_it_once(client, session, api_world):
    client.login(api_world.admin.username)
    form = client.get("/admin/api-tokens/new")
    assert form.status_code == 200
    shown = client.post("/admin/api-tokens/new", data={
        "name": "Aarhus omsorgssystem", "organisation_id": str(api_world.aarhus.id),
        "scopes": ["devices:read", "custody:read"]})
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    token = text.split('value="fsc_', 1)[1].split('"', 1)[0]
    assert client.get("/api/v1/devices", headers=bearer("fsc_" + token)).status_code == 200
    listing = client.get("/admin/api-tokens").get_data(as_text=True)
    assert "Aarhus omsorgssystem" in listing and token not in listing  # shown once, never again


def test_devices_are_found_by_tag_serial_model_and_state_and_paged_by_cursor(client, api_world):
    token = api_world.token([Scope.READ_DEVICES])
    ours = api_world.our_devices[0]
    by_tag = client.get(f"/api/v1/devices?tag={ours.tag}", headers=bearer(token)).json
    assert [d["id"] for d in by_tag["items"]] == [ours.id] and by_tag["next_cursor"] is None
    by_serial = client.get(f"/api/v1/devices?serial={ours.serial}", headers=bearer(token)).json
    assert [d["serial"] for d in by_serial["items"]] == [ours.serial]
    at_citizens = client.get("/api/v1/devices?state=at_citizen&limit=200", headers=bearer(token)).json["items"]
    assert {d["id"] for d in at_citizens} == {d.id for d in api_world.our_devices + api_world.their_devices}
    model = client.get(f"/api/v1/devices?model={ours.model.model_number}", headers=bearer(token)).json["items"]
    assert model and all(d["model"]["model_number"] == ours.model.model_number for d in model)
    seen, cursor = [], None
    while True:  # two at a time: every device once, in id order
        page = client.get("/api/v1/devices?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                          headers=bearer(token)).json
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == api_world.s.scalar(select(func.count(Device.id)))
    bad = client.get("/api/v1/devices?cursor=garbage", headers=bearer(token))
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    invalid = client.get("/api/v1/devices?limit=9999", headers=bearer(token))
    assert invalid.status_code == 422 and invalid.json["errors"][0]["loc"] == ["limit"]


def test_a_single_device_has_an_etag_and_answers_304_when_unchanged(client, api_world):
    token = api_world.token([Scope.READ_DEVICES])
    device = api_world.our_devices[0]
    first = client.get(f"/api/v1/devices/{device.id}", headers=bearer(token))
    assert first.status_code == 200 and first.headers["ETag"]
    conditional = {**bearer(token), "If-None-Match": first.headers["ETag"]}
    again = client.get(f"/api/v1/devices/{device.id}", headers=conditional)
    assert again.status_code == 304 and not again.data
    api_world.scan("collect", device.tag, api_world.van)  # it moves: the tag changes
    moved = client.get(f"/api/v1/devices/{device.id}", headers=conditional)
    assert moved.status_code == 200 and moved.headers["ETag"] != first.headers["ETag"]


def test_custody_answers_who_had_a_device_when_and_what_a_citizen_held(client, api_world):
    token = api_world.token([Scope.READ_CUSTODY])
    device = api_world.our_devices[0]
    intervals = client.get(f"/api/v1/devices/{device.id}/custody", headers=bearer(token)).json["items"]
    assert intervals[-1]["place"] == {"kind": "course", "name": None, "citizen_id": api_world.ours.id}
    assert intervals[-1]["ended_at"] is None and intervals[0]["place"]["kind"] == "depot"
    delivered = dt.datetime.fromisoformat(intervals[-1]["started_at"])
    before = (delivered - dt.timedelta(microseconds=1)).isoformat()
    at_home = client.get(f"/api/v1/devices/{device.id}/holder", query_string={"at": delivered.isoformat()},
                         headers=bearer(token)).json
    assert at_home["place"]["citizen_id"] == api_world.ours.id
    earlier = client.get(f"/api/v1/devices/{device.id}/holder", query_string={"at": before}, headers=bearer(token)).json
    assert earlier["place"]["citizen_id"] is None
    never = client.get(f"/api/v1/devices/{device.id}/holder", query_string={"at": "2001-01-01T00:00:00+00:00"},
                       headers=bearer(token))
    assert never.status_code == 404
    held = client.get(f"/api/v1/citizens/{api_world.ours.id}/devices", headers=bearer(token)).json
    assert sorted(d["id"] for d in held["devices"]) == sorted(d.id for d in api_world.our_devices)
    then = client.get(f"/api/v1/citizens/{api_world.ours.id}/devices", query_string={"at": before},
                      headers=bearer(token)).json
    assert then["devices"] == []
    naive = client.get(f"/api/v1/citizens/{api_world.ours.id}/devices", query_string={"at": "2026-01-01T10:00"},
                       headers=bearer(token))
    assert naive.status_code == 422  # a time without a zone is refused, not guessed


def test_custody_of_a_device_or_citizen_that_does_not_exist_is_a_404(client, api_world):
    """The device is looked up only when nothing is found for it: a missing device is still told apart from a
    device that did not exist yet at T, and a missing citizen is a 404 for a token of every organisation too."""
    token = api_world.token([Scope.READ_CUSTODY])
    missing = 10 ** 9
    no_device = client.get(f"/api/v1/devices/{missing}/custody", headers=bearer(token))
    not_then = client.get(f"/api/v1/devices/{missing}/holder", query_string={"at": "2001-01-01T00:00:00+00:00"},
                          headers=bearer(token))
    device = api_world.our_devices[0]
    not_yet = client.get(f"/api/v1/devices/{device.id}/holder", query_string={"at": "2001-01-01T00:00:00+00:00"},
                         headers=bearer(token))
    assert no_device.status_code == not_then.status_code == not_yet.status_code == 404
    assert no_device.json["detail"] == not_then.json["detail"] != not_yet.json["detail"]
    assert client.get(f"/api/v1/citizens/{missing}/devices", headers=bearer(token)).status_code == 404


def test_courses_give_the_state_only_and_a_cpr_lookup_is_by_body(client, api_world):
    token = api_world.token([Scope.READ_COURSES])
    found = client.post("/api/v1/citizens/lookup", json={"cpr": api_world.ours.cpr}, headers=bearer(token))
    assert found.status_code == 200 and found.json == {"citizen_id": api_world.ours.id}
    courses = client.get(f"/api/v1/citizens/{api_world.ours.id}/courses", headers=bearer(token)).json["items"]
    assert [c["state"] for c in courses] == ["active"] and courses[0]["programme"] == "COPD"
    assert api_world.ours.last_name not in str(courses) and api_world.ours.cpr not in str(courses)
    assert client.post("/api/v1/citizens/lookup", json={"cpr": "0101011234"},
                       headers=bearer(token)).status_code == 404


def test_every_citizen_a_call_returns_is_in_her_access_log_by_the_integration(client, session, api_world):
    token = api_world.token([Scope.READ_CUSTODY], organisation=api_world.aarhus)
    client.get(f"/api/v1/citizens/{api_world.ours.id}/devices", headers=bearer(token))
    session.rollback()
    event = session.scalar(select(AuditEvent).where(AuditEvent.citizen_id == api_world.ours.id,
                                                    AuditEvent.action == "api.held_at"))
    assert event.actor_role == "api" and event.actor_organisation_id == api_world.aarhus.id
    assert "Test integration" in event.purpose


def test_a_nurses_system_requests_a_setup_once_per_idempotency_key(client, session, api_world):
    token = api_world.token([Scope.WRITE_VISIT_REQUESTS, Scope.READ_VISITS], organisation=api_world.aarhus)
    citizen = api_world.factory.citizen(municipality_code="751", responsible_organisation_id=api_world.aarhus.id)
    today = local_date(utcnow())
    body = {"citizen_id": citizen.id, "programme": "COPD", "earliest_on": today.isoformat(),
            "latest_on": (today + dt.timedelta(days=10)).isoformat(), "notes": "Ring på hos naboen"}
    headers = {**bearer(token), "Idempotency-Key": "req-1"}
    made = client.post("/api/v1/visit-requests", json=body, headers=headers)
    assert made.status_code == 201, made.json
    again = client.post("/api/v1/visit-requests", json=body, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == made.json["id"]
    session.rollback()
    visits = session.scalars(select(Visit).where(Visit.citizen_id == citizen.id)).all()
    assert [(v.kind, v.requested_by_organisation_id) for v in visits] == [(VisitKind.SETUP, api_world.aarhus.id)]
    assert client.get(made.headers["Location"], headers=bearer(token)).json["status"] == "requested"
    past = client.post("/api/v1/visit-requests", headers=bearer(token),
                       json={**body, "earliest_on": (today - dt.timedelta(days=1)).isoformat()})
    assert past.status_code == 400 and past.mimetype == "application/problem+json"
    centre = api_world.token([Scope.WRITE_VISIT_REQUESTS])
    assert client.post("/api/v1/visit-requests", json=body, headers=bearer(centre)).status_code == 400


def test_another_system_creates_a_ticket_and_reads_its_state(client, session, api_world):
    token = api_world.token([Scope.CREATE_TICKETS, Scope.READ_TICKETS], organisation=api_world.aarhus)
    body = {"subject": "Vægten viser ingen målinger", "category": "missing_measurements",
            "citizen_id": api_world.ours.id, "device_id": api_world.our_devices[0].id}
    made = client.post("/api/v1/tickets", json=body, headers={**bearer(token), "Idempotency-Key": "t-1"})
    assert made.status_code == 201 and made.json["status"] == "new"
    replay = client.post("/api/v1/tickets", json=body, headers={**bearer(token), "Idempotency-Key": "t-1"})
    assert replay.status_code == 200 and replay.json["id"] == made.json["id"]
    session.rollback()
    assert session.scalar(select(func.count(Ticket.id)).where(Ticket.citizen_id == api_world.ours.id)) == 1
    listed = client.get(f"/api/v1/tickets?citizen_id={api_world.ours.id}", headers=bearer(token)).json["items"]
    assert [t["id"] for t in listed] == [made.json["id"]]
    no_citizen = client.post("/api/v1/tickets", json={"subject": "x", "category": "how_to"}, headers=bearer(token))
    assert no_citizen.status_code == 400 and no_citizen.json["detail"]
    other_token = api_world.token([Scope.CREATE_TICKETS], organisation=api_world.aarhus)
    theirs = client.post("/api/v1/tickets", json=body, headers={**bearer(other_token), "Idempotency-Key": "t-1"})
    assert theirs.status_code == 201 and theirs.json["id"] != made.json["id"]  # a key is one token's own


def test_over_the_limit_a_token_gets_429_with_retry_after(app, client, api_world):
    app.config["API_CALLS_PER_MINUTE"] = 3
    token = api_world.token([Scope.READ_DEVICES])
    codes = [client.get("/api/v1/devices?limit=1", headers=bearer(token)).status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    refused = client.get("/api/v1/devices?limit=1", headers=bearer(token))
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 and refused.json["status"] == 429
    other = api_world.token([Scope.READ_DEVICES])  # another integration has its own count
    assert client.get("/api/v1/devices?limit=1", headers=bearer(other)).status_code == 200


def test_the_openapi_document_is_3_1_and_the_docs_page_loads_nothing_external(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1") and "/api/v1/devices/{device_id}/holder" in doc["paths"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    errors = doc["paths"]["/api/v1/devices"]["get"]["responses"]["401"]["content"]
    assert list(errors) == ["application/problem+json"]
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/devices/{device_id}/custody" in page
    assert "http://" not in page and "https://" not in page and "cdn" not in page.lower()
