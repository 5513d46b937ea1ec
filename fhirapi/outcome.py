"""Errors under /fhir as FHIR OperationOutcome (application/fhir+json): unknown routes, wrong methods, bad search
parameters, a citizen outside need-to-know (404, as for one who does not exist), and the token check's own answers
(api/auth.py answers problem details; this blueprint's after_request turns those into OperationOutcome)."""

from __future__ import annotations

import json

from flask import Flask, Response

from api.problems import default_detail
from servicecenter.extensions import register_extension

MEDIA_TYPE = "application/fhir+json"
PREFIX = "/fhir"

# HTTP status -> the OperationOutcome issue type (http://hl7.org/fhir/issue-type)
ISSUE_TYPE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
              409: "conflict", 429: "throttled"}


def fhir_response(resource: dict, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(resource, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def operation_outcome(status: int, diagnostics: str | None) -> dict:
    issue = {"severity": "error", "code": ISSUE_TYPE.get(status, "exception")}
    if diagnostics:
        issue["diagnostics"] = diagnostics
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome(status: int, diagnostics: str | None = None, headers: dict | None = None) -> Response:
    return fhir_response(operation_outcome(status, diagnostics or default_detail(status)), status, headers)


def from_problem(response: Response) -> Response:
    """The token check's problem details (401, 403, 429) as an OperationOutcome, its headers kept."""
    if response.mimetype != "application/problem+json":
        return response
    body = response.get_json(silent=True) or {}
    kept = {name: response.headers[name] for name in ("WWW-Authenticate", "Retry-After") if name in response.headers}
    return outcome(response.status_code, body.get("detail"), kept)


def register_outcome_prefix(app: Flask) -> None:
    """Errors under /fhir/ (unknown routes, wrong methods, domain errors, crashes) answer as OperationOutcome."""
    register_extension(app, "error_renderers", (PREFIX + "/", outcome))
