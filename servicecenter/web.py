"""Helpers every blueprint's views share: declared permissions, paging, safe redirects, error display."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from wtforms import Form

from servicecenter import idempotency, ratelimit
from servicecenter.audit.models import Outcome
from servicecenter.audit.service import record_event
from servicecenter.auth.permissions import Permission
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session

T = TypeVar("T")


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
                _security_event("security.forbidden", {"permission": permission.name})
                abort(403)
            return view(*args, **kwargs)

        wrapper.permission = permission
        return wrapper

    return decorate


def rate_limited(kind: str) -> Callable[[Callable], Callable]:
    """Count this view's use against the person's limit of this kind (search, record, export; RATE_LIMITS); over
    it, a 429 that says how long to wait, and a security event. The hit is saved at once, in its own transaction:
    a refused or failed request counts too."""
    assert kind in ratelimit.KINDS

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            setting = current_app.config.get("RATE_LIMITS", {}).get(kind)
            if setting and current_user.is_authenticated:
                s = db_session()
                with unit_of_work(s):
                    wait = ratelimit.hit(s, user_id=current_user.id, kind=kind, limit=ratelimit.Limit.parse(setting),
                                         now=now())
                if wait is not None:
                    _security_event("security.rate_limited", {"kind": kind})
                    message = gettext("You have opened or searched more in a short time than the work needs. Wait "
                                      "%(minutes)d minutes and try again. The limit is recorded.", minutes=wait)
                    page = render_template("errors/generic.html", status=429, message=message,
                                           heading=gettext("Too many requests"))
                    return page, 429, {"Retry-After": str(wait * 60)}
            return view(*args, **kwargs)

        wrapper.rate_limit = kind
        return wrapper

    return decorate


def _security_event(action: str, detail: dict) -> None:
    """A refusal, saved in its own transaction (the request itself saves nothing): who, what, from where."""
    s = db_session()
    s.rollback()
    with unit_of_work(s):
        record_event(s, actor=current_user if current_user.is_authenticated else None, action=action,
                     entity_type="endpoint", entity_id=None, now=now(), outcome=Outcome.DENIED,
                     detail={"endpoint": request.endpoint, "method": request.method, **detail})


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


# --- nothing done twice ---------------------------------------------------------------------------------------


def idempotency_field() -> Markup:
    """The hidden one-time key every create form carries (a template global); a fresh one at each rendering."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(idempotency.KEY_FIELD, idempotency.new_key())


def creates(then: Callable[..., str]) -> Callable[[Callable], Callable]:
    """Declare a view that creates something. The form carries a one-time key and the view creates through
    `once`; a second submission of the same form is redirected to `then(ref, **view_args)`, the first record, or,
    when that is unknown, back to a fresh form with a message. The app's tests refuse a create form without it."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except idempotency.AlreadyCreated as done:
                return _already_created(done, then, kwargs)
            except IntegrityError:
                done = _claimed_meanwhile()
                if done is None:
                    raise
                return _already_created(done, then, kwargs)

        wrapper.creates = True
        return wrapper

    return decorate


def once(session, create: Callable[[], T], *, ref: Callable[[T], object] = idempotency.record_id) -> T:
    """Inside the view's unit of work: create unless this form's key already did (see `creates`)."""
    return idempotency.create_once(session, request.form.get(idempotency.KEY_FIELD), create, kind=request.endpoint,
                                   actor_id=current_user.id, now=now(), ref=ref)


def _claimed_meanwhile() -> idempotency.AlreadyCreated | None:
    """After a failed insert: the key's claim, if another submission of the same form got it first."""
    key = request.form.get(idempotency.KEY_FIELD)
    s = db_session()
    s.rollback()
    claim = idempotency.find_key(s, key) if key else None
    if claim is None:
        return None
    return idempotency.earlier_outcome(claim, kind=request.endpoint, actor_id=current_user.id)


def _already_created(done: idempotency.AlreadyCreated, then: Callable[..., str], view_args: dict):
    if done.ref is None:
        flash(gettext("This form was already used. Reload the page and try again."), "warning")
        return redirect(_back())
    flash(gettext("This form was already sent; here is what it made."), "info")
    return redirect(then(done.ref, **view_args))


def _back() -> str:
    """The page the form was on (a path on this site), else this address when it can be shown, else home."""
    rule = request.url_rule
    default = request.path if rule is not None and "GET" in (rule.methods or ()) else url_for("main.index")
    parts = urlsplit(request.referrer or "")
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""), default)


def init_idempotency(app) -> None:
    app.add_template_global(idempotency_field)


def public_url(endpoint: str, **values) -> str:
    """An absolute link for outside the system (a text to a citizen): the configured PUBLIC_BASE_URL and the
    route's path. The request's Host is never used: it is whatever the client sent."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def listed_after_render(html: str, citizen_ids: list[int], *, action: str) -> str:
    """A page that names citizens: rendered first, then each is logged as read (before anything is sent). The unit
    of work expires what was loaded, so a page rendered after it would reload its rows one by one."""
    from servicecenter.citizens.service import record_listed

    s = db_session()
    actor = current_user._get_current_object()  # noqa: SLF001 - the user itself, not the proxy, leaves the session
    s.expunge_all()  # the page is rendered: its hundreds of rows need not be expired and tracked by the commit
    with unit_of_work(s):
        record_listed(s, citizen_ids, actor=actor, now=now(), action=action)
    return html

