"""Odd input never reaches a view as a 500: ids in URLs fit the database's integer, NUL bytes are refused with a
clear 400 before any query (PostgreSQL rejects them in text), and HEAD is answered exactly as GET."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import gettext
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from servicecenter.errorpages import error_page

DB_INT_MAX = 2**31 - 1  # PostgreSQL's integer (ids are 32-bit); SQLite would take more, so both answer alike


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` app-wide: at most 19 digits (no huge-number parsing) and at most DB_INT_MAX, else a 404."""

    regex = r"\d{1,19}"

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None, max: int | None = DB_INT_MAX,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def bounded_int(value: str) -> int:
    """A `type=` for request.args/form/values: a number the database can hold, else ValueError (the default)."""
    number = int(value)
    if not -DB_INT_MAX <= number <= DB_INT_MAX:
        raise ValueError("out of range")
    return number


class NulInRequest(BadRequest):
    """A NUL byte in the path, the query string, a header or a form field."""


def init_input_guards(app: Flask) -> None:
    """Registered before everything else that reads the request (the URL map, the security hooks)."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_head_as_get)
    app.before_request(_refuse_nul_bytes)
    app.register_error_handler(NulInRequest, _nul_page)


def _head_as_get() -> None:
    # Werkzeug already drops the body of a HEAD response (it reads the method from the WSGI environ); views and
    # hooks that compare request.method with "GET" then answer HEAD exactly as they answer GET.
    if request.method == "HEAD":
        request.method = "GET"


def _refuse_nul_bytes() -> None:
    if "\x00" in request.path or b"%00" in request.query_string.lower() or b"\x00" in request.query_string:
        raise NulInRequest()
    # Headers too: the client address (X-Forwarded-For behind a proxy) and the user agent are stored.
    if any("\x00" in value for _name, value in request.headers.items()) or "\x00" in (request.remote_addr or ""):
        raise NulInRequest()
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        for key, value in request.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise NulInRequest()


def _nul_page(_error: NulInRequest):
    message = gettext("The request contained a NUL character, which is not allowed in text. Remove it and try "
                      "again.")
    return error_page(400, message)  # the API answers in its own format (problem+json)
