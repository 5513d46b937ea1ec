"""Errors as RFC 9457 problem details (application/problem+json): the same body for every error of the API, from
a missing token to an unknown route or a rule of the domain that refused the call."""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask, jsonify
from flask_babel import gettext

from servicecenter.extensions import register_extension

MEDIA_TYPE = "application/problem+json"


def problem(status: int, detail: str | None = None, *, headers: dict | None = None, **extra):
    """A problem response: `title` is the status's phrase, `detail` says what happened in the reader's language."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def default_detail(status: int) -> str | None:
    """What an error of this status says when nothing more particular is known, in the reader's language."""
    return _DEFAULT_DETAIL.get(status, lambda: None)()


def _render(status: int, message: str | None):
    return problem(status, message or default_detail(status))


_DEFAULT_DETAIL = {
    404: lambda: gettext("Nothing here, or nothing this token may see."),
    405: lambda: gettext("This method is not allowed here."),
    500: lambda: gettext("Something went wrong on our side. It is logged; try again later."),
}


def register_problem_prefix(app: Flask, prefix: str) -> None:
    """Errors under this path (unknown routes, wrong methods, domain errors, crashes) answer as problem details."""
    register_extension(app, "error_renderers", (prefix, _render))
