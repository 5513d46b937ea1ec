"""A municipality's token never sees another municipality's citizen through any route of the API: every route ×
(our citizen, their citizen). Outside need-to-know a citizen's own routes answer 404 as for one who does not exist;
lists and devices simply never name her. Inside, the same call shows our citizen (so the test can fail).

CASES names every route of the API: a new route makes this test fail until someone decides how it is checked."""

from __future__ import annotations

import datetime as dt

import pytest

from api.service.tokens import Scope
from servicecenter.db import local_date, unit_of_work, utcnow
from support.models import Category
from support.service import tickets
from tests.api.conftest import bearer


def _ticket(w, citizen):
    with unit_of_work(w.s):
        return tickets.create_ticket(w.s, tickets.TicketData(subject="Fejl", category=Category.HOW_TO,
                                                             citizen_id=citizen.id), actor=w.admin, now=utcnow())


def _ids(w, side: str) -> dict:
    citizen = w.ours if side == "ours" else w.theirs
    home = w.our_home if side == "ours" else w.their_home
    devices = w.our_devices if side == "ours" else w.their_devices
    return {"citizen": citizen, "device": devices[0], "visit": w.visit_of_home[home.id],
            "ticket": _ticket(w, citizen).id}


def _today() -> str:
    return local_date(utcnow()).isoformat()


# endpoint -> (method, path, query/body from the ids, what the foreign side gets: "404" or "unnamed")
CASES = {
    "api.devices": ("GET", lambda i: "/api/v1/devices", lambda i: {"query_string": {"limit": 200}}, "unnamed"),
    "api.device": ("GET", lambda i: f"/api/v1/devices/{i['device'].id}", None, "unnamed"),
    "api.device_custody": ("GET", lambda i: f"/api/v1/devices/{i['device'].id}/custody", None, "unnamed"),
    "api.device_holder": ("GET", lambda i: f"/api/v1/devices/{i['device'].id}/holder", None, "unnamed"),
    "api.citizen_lookup": ("POST", lambda i: "/api/v1/citizens/lookup", lambda i: {"json": {"cpr": i["citizen"].cpr}},
                           "404"),
    "api.citizen_courses": ("GET", lambda i: f"/api/v1/citizens/{i['citizen'].id}/courses", None, "404"),
    "api.citizen_devices": ("GET", lambda i: f"/api/v1/citizens/{i['citizen'].id}/devices", None, "404"),
    "api.visits": ("GET", lambda i: "/api/v1/visits", lambda i: {"query_string": {"citizen_id": i["citizen"].id}},
                   "unnamed"),
    "api.visit": ("GET", lambda i: f"/api/v1/visits/{i['visit']}", None, "404"),
    "api.request_setup": ("POST", lambda i: "/api/v1/visit-requests", lambda i: {"json": {
        "citizen_id": i["citizen"].id, "programme": "HF", "earliest_on": _today(), "latest_on": _today()}}, "404"),
    "api.tickets": ("GET", lambda i: "/api/v1/tickets", lambda i: {"query_string": {"citizen_id": i["citizen"].id}},
                    "unnamed"),
    "api.ticket": ("GET", lambda i: f"/api/v1/tickets/{i['ticket']}", None, "404"),
    "api.create_ticket": ("POST", lambda i: "/api/v1/tickets", lambda i: {"json": {
        "subject": "Tablet slukker", "category": "device_fault", "citizen_id": i["citizen"].id}}, "404"),
}
NOT_DATA = {"api.openapi": "the OpenAPI document", "api.docs": "the documentation page"}


def test_every_api_route_is_in_the_matrix(app):
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert routes == set(CASES) | set(NOT_DATA)


def _names(value, citizen_id: int) -> bool:
    """Whether this JSON names the citizen anywhere (as a citizen_id, or her id under any key ending in _id that
    points at her: visits and tickets carry citizen_id)."""
    if isinstance(value, dict):
        return value.get("citizen_id") == citizen_id or any(_names(v, citizen_id) for v in value.values())
    if isinstance(value, list):
        return any(_names(v, citizen_id) for v in value)
    return False


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_a_municipalitys_token_never_sees_another_municipalitys_citizen(endpoint, client, api_world):
    token = api_world.token([s.value for s in Scope], organisation=api_world.aarhus)
    method, path, extra, outside = CASES[endpoint]
    for side, expect_named in (("theirs", False), ("ours", True)):
        ids = _ids(api_world, side)
        kwargs = extra(ids) if extra else {}
        answer = client.open(path(ids), method=method, headers=bearer(token), **kwargs)
        citizen_id = ids["citizen"].id
        if not expect_named and outside == "404":
            assert answer.status_code == 404, (endpoint, answer.status_code, answer.json)
            assert answer.mimetype == "application/problem+json"
        else:
            assert answer.status_code in (200, 201), (endpoint, side, answer.status_code, answer.json)
        named = answer.status_code < 300 and _names(answer.json, citizen_id)
        if endpoint == "api.citizen_lookup" and side == "ours":
            named = answer.json == {"citizen_id": citizen_id}
        assert named is expect_named, (endpoint, side, answer.json)


def test_the_service_centres_token_sees_both(client, api_world):
    token = api_world.token([Scope.READ_CUSTODY])
    for citizen in (api_world.ours, api_world.theirs):
        assert client.get(f"/api/v1/citizens/{citizen.id}/devices", headers=bearer(token)).status_code == 200


def test_a_nurse_rule_window_closes_for_the_token_too(client, session, api_world):
    # given our citizen's course ended long ago (beyond the nurse's days after the end)
    from servicecenter.courses.models import Course

    course = session.get(Course, api_world.our_home.course_id)
    with unit_of_work(session):
        course = session.get(Course, api_world.our_home.course_id)
        course.ended_at = utcnow() - dt.timedelta(days=400)
    token = api_world.token([Scope.READ_COURSES], organisation=api_world.aarhus)
    # then her courses are no longer the municipality's to read (unless it is still responsible for her)
    answer = client.get(f"/api/v1/citizens/{api_world.ours.id}/courses", headers=bearer(token))
    assert answer.status_code == 404
