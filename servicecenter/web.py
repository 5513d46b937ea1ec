"""Helpers every blueprint's views share: declared permissions, paging, safe redirects, error display."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext
from flask_login import current_user
from wtforms import Form

from servicecenter.auth.permissions import Permission
from servicecenter.db import utcnow
from servicecenter.errors import DomainError


def public(view: Callable) -> Callable:
    """Mark a view as reachable without logging in. Every other view must declare a permission."""
    view.is_public = True
    return view


def require(permission: Permission) -> Callable[[Callable], Callable]:
    """Declare the permission a view needs; the app refuses any view that declares none."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not permission(current_user):
                abort(403)
            return view(*args, **kwargs)

        wrapper.permission = permission
        return wrapper

    return decorate


def now() -> dt.datetime:
    return utcnow()


def page_arg() -> int:
    try:
        return max(1, min(int(request.values.get("page", 1)), 100_000))
    except ValueError:
        return 1


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative `//` or `/\\` tricks."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch in target for ch in "\r\n\\"):
        return default
    return target


def show_error(error: DomainError, form: Form | None = None) -> None:
    """Put a domain error next to its field when the form has it, else flash it at the top."""
    message = error.translate(gettext)
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        field.errors = [*list(field.errors), message]
    else:
        flash(message, "danger")


def client_ip() -> str:
    return request.remote_addr or "unknown"


def public_url(endpoint: str, **values) -> str:
    """An absolute link for outside the system (a text to a citizen): the configured PUBLIC_BASE_URL and the
    route's path. The request's Host is never used: it is whatever the client sent."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)
