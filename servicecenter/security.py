"""Request-level guards: request id, deny-by-default access, login sessions, migration check, headers."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from flask import Flask, current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, logout_user

from servicecenter.audit.context import clear_origin, set_origin
from servicecenter.auth import service as auth_service
from servicecenter.db import unit_of_work, utcnow
from servicecenter.extensions import db_session, get_database, login_manager
from servicecenter.migrations import is_up_to_date

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def init_security(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.teardown_request(lambda _exc: clear_origin())
    app.before_request(_require_migrated_database)
    app.before_request(_deny_by_default)
    app.after_request(_security_headers)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # the server-side session table is the protection


def undeclared_endpoints(app: Flask) -> list[str]:
    """Endpoints that declare neither a permission nor `public`: the app refuses to start with any."""
    return sorted(
        name for name, view in app.view_functions.items()
        if name != "static" and not getattr(view, "permission", None) and not getattr(view, "is_public", False)
    )


def _assign_request_id() -> None:
    g.request_id = secrets.token_hex(8)
    set_origin(request.remote_addr, g.request_id)  # every audit row of this request carries both


def _require_migrated_database():
    # The health check asks the database itself (and must answer 503, not fail, when it is down).
    if request.endpoint in ("static", "main.health") or current_app.extensions.get("schema_ok"):
        return None
    if is_up_to_date(get_database().engine):
        current_app.extensions["schema_ok"] = True
        return None
    return render_template("errors/unmigrated.html"), 503


def _deny_by_default():
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions[request.endpoint]
    if getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return _to_login()
    if not getattr(view, "permission", None):
        log.error("endpoint %s declares no permission; refused", request.endpoint)
        return render_template("errors/403.html"), 403
    return None


def _to_login():
    """Send an anonymous request to the login page: htmx gets a full-page redirect instead of the login page
    pasted into a results box, and a POST does not come back as a GET to a POST-only page."""
    if request.headers.get("HX-Request"):
        response = make_response("", 401)
        response.headers["HX-Redirect"] = url_for("auth.login")
        return response
    if request.method != "GET":
        return redirect(url_for("auth.login"))
    return login_manager.unauthorized()


def _load_user(user_id: str):
    token = session.get("sid")
    if not token:
        return None
    config = current_app.config
    s = db_session()
    check = auth_service.check_session(
        s, token, now=utcnow(),
        idle=dt.timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        max_age=dt.timedelta(hours=config["SESSION_MAX_HOURS"]),
    )
    if check.user_session is None or str(check.user_session.user_id) != user_id:
        session.clear()
        return None
    if check.end_reason:
        with unit_of_work(s):
            auth_service.end_session(s, check.user_session, reason=check.end_reason, now=utcnow())
        session.clear()
        if check.end_reason == "idle":
            flash(gettext("You were logged out after a period of inactivity."), "info")
        return None
    if check.touch:
        with unit_of_work(s):
            auth_service.touch_session(s, check.user_session, now=utcnow())
    return check.user_session.user


def end_login_session() -> None:
    logout_user()
    session.clear()


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(self), geolocation=(), microphone=()"
    if "request_id" in g:
        headers["X-Request-ID"] = g.request_id
    if request.endpoint != "static":
        # Pages may carry personal data: never kept in a shared or browser cache.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response

