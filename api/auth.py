"""The token check of every API route: a bearer token with the scopes the route needs, counted against the
token's rate limit. Deny by default: a route of the API without `require_token` does not start (the app's check of
undeclared endpoints) because this decorator is what declares it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext

from api.problems import problem
from api.service import tokens
from api.service.tokens import ApiClient, Scope
from servicecenter.audit.service import record_reads
from servicecenter.db import unit_of_work, utcnow
from servicecenter.extensions import db_session

__all__ = ["ApiClient", "Scope", "current_client", "record_api_reads", "require_token"]


def require_token(*scopes: Scope) -> Callable[[Callable], Callable]:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.lang = request.accept_languages.best_match(current_app.config["LANGUAGES"]) or None
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            session, now = db_session(), utcnow()
            with unit_of_work(session):  # the token's check and its count: one transaction (one round of commits)
                client = tokens.authenticate(session, token.strip(), now=now) if scheme.lower() == "bearer" else None
                missing = [scope.value for scope in scopes if client and scope.value not in client.scopes]
                wait = None if client is None or missing else tokens.count_call(
                    session, client, per_minute=current_app.config["API_CALLS_PER_MINUTE"], now=now,
                    address=request.remote_addr)
            if client is None:
                return problem(401, gettext("A valid bearer token is needed (Authorization: Bearer <token>)."),
                               headers={"WWW-Authenticate": 'Bearer realm="api"'})
            if missing:
                return problem(403, gettext("The token lacks the scope %(scope)s.", scope=", ".join(missing)))
            if wait is not None:
                return problem(429, gettext("Too many calls with this token. Try again in %(seconds)d seconds.",
                                            seconds=wait), headers={"Retry-After": str(wait)})
            g.api_client = client
            return view(*args, **kwargs)

        wrapper.is_public = True  # no login session: the token is the check, made above
        wrapper.api_scopes = tuple(s.value for s in scopes)
        return wrapper

    return decorate


def current_client() -> ApiClient:
    return g.api_client


def record_api_reads(session, client: ApiClient, citizen_ids: list[int], *, action: str, now) -> None:
    """Each citizen whose data a call returned has seen a read, as on the web pages: by the integration (the role
    "api", its organisation, the token's name as the purpose)."""
    record_reads(session, citizen_ids, actor=client, action=action, now=now, purpose=client.purpose)
