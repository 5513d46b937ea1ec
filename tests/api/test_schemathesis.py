"""schemathesis against the API's own OpenAPI document, on both databases: for every operation, generated requests
(valid and invalid) with a token of every scope get no 5xx, only documented status codes and content types, bodies
that fit the schema, and nothing without a valid token (schemathesis's `ignored_auth` check sends each one without
the token and with a wrong one)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api.service.tokens import Scope
from tests.api.conftest import bearer


@pytest.fixture
def api_schema(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # A request that fits the schema can still be refused by a rule of the domain, with a problem body: a cursor
    # this API did not give, a visit wished for in the past, a citizen the token may not see. Not a 5xx, never.
    schema.config.checks.positive_data_acceptance.expected_statuses = ["2XX", "304", "400", "401", "403", "404",
                                                                       "409", "429"]
    return schema


@pytest.fixture
def full_token(app, api_world):
    app.config["API_CALLS_PER_MINUTE"] = 100_000  # the generated calls are many; the limit has its own test
    return api_world.token([s.value for s in Scope], organisation=api_world.aarhus)


def test_the_api_keeps_its_own_schema(api_schema, full_token):
    # Each operation in turn, with hypothesis driving schemathesis's strategy (its pytest plugin's fixture loader
    # reaches into pytest internals that pytest 9 removed).
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 13

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def keeps_the_schema(case):
            case.call_and_validate(headers=bearer(full_token))

        keeps_the_schema()


def test_no_operation_answers_without_a_valid_token(app, client):
    doc = client.get("/api/v1/openapi.json").json
    operations = [(method, path) for path, ops in doc["paths"].items() for method in ops]
    assert len(operations) >= 13
    for method, path in operations:
        url = path.replace("{device_id}", "1").replace("{citizen_id}", "1").replace("{visit_id}", "1") \
            .replace("{ticket_id}", "1")
        for headers in ({}, bearer("fsc_wrong"), {"Authorization": "Bearer "}):
            answer = client.open(url, method=method.upper(), headers=headers, json={})
            assert answer.status_code == 401, (method, path, headers, answer.status_code)
            assert answer.mimetype == "application/problem+json"
