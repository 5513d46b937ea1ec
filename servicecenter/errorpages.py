"""Friendly error pages with the request id and never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from servicecenter.errors import DomainError

log = logging.getLogger(__name__)


def error_page(status: int, message: str | None = None):
    for prefix, render in current_app.extensions.get("error_renderers", []):  # an API answers in its own format
        if request.path.startswith(prefix):
            return render(status, message)
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
    return render_template(template, status=status, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return error_page(400, gettext("The form had expired or did not come from this site. Go back, reload the "
                                  "page and try again."))

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return error_page(error.status_code, error.translate(gettext))

    @app.errorhandler(StaleDataError)
    @app.errorhandler(IntegrityError)
    def conflict(_error):
        log.warning("conflicting write refused (request %s)", g.get("request_id"))
        return error_page(409, gettext("Someone else saved a change to the same record at the same moment. Reload the "
                                  "page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return error_page(error.code or 500, None)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error (request %s)", g.get("request_id"))
        return error_page(500, None)
