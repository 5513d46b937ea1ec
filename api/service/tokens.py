"""Issuing, revoking and checking API tokens, and counting their calls against the rate limit. Only flushes; the
caller's unit of work commits.

A token is 32 random bytes (`fsc_` + URL-safe base64): guessing one is hopeless, so a plain SHA-256 is enough to keep
it unreadable at rest and lets a call find its token by one index probe (a slow password hash would cost every
call tens of milliseconds for nothing)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from api.models import ApiToken, ApiUsage
from servicecenter.audit.service import record_event
from servicecenter.errors import N_, Conflict, DomainError
from servicecenter.organisations.models import Organisation

PREFIX = "fsc_"
LAST_USE_EVERY = dt.timedelta(minutes=1)  # last use is written at most this often (not a write per call)


class Scope(enum.StrEnum):
    READ_DEVICES = "devices:read"
    READ_CUSTODY = "custody:read"
    READ_COURSES = "courses:read"
    READ_VISITS = "visits:read"
    WRITE_VISIT_REQUESTS = "visit-requests:write"
    READ_TICKETS = "tickets:read"
    CREATE_TICKETS = "tickets:write"


SCOPE_LABELS = {
    Scope.READ_DEVICES: N_("read devices"), Scope.READ_CUSTODY: N_("read custody (who held which device when)"),
    Scope.READ_COURSES: N_("read citizens' courses (state only)"), Scope.READ_VISITS: N_("read visits"),
    Scope.WRITE_VISIT_REQUESTS: N_("request setup visits"), Scope.READ_TICKETS: N_("read tickets"),
    Scope.CREATE_TICKETS: N_("create tickets"),
}


class ApiRole(enum.StrEnum):
    API = "api"  # what the audit log records as the actor's role of a call made with a token


@dataclass(frozen=True)
class ApiClient:
    """The caller behind a valid token, as services need it: an actor without a user id (the audit log records the
    role "api", the organisation, and the token's name as the purpose)."""

    token_id: int
    name: str
    organisation_id: int | None
    scopes: frozenset[str]
    id: None = None
    role: ApiRole = ApiRole.API

    @property
    def purpose(self) -> str:
        return f"integration: {self.name} (token {self.token_id})"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, *, name: str, scopes: list[str], organisation_id: int | None, actor,
          now: dt.datetime, expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """A new token: the row, and the token itself (shown once, never stored)."""
    name = name.strip()
    if not name or len(name) > 120:
        raise DomainError(N_("Name the integration (at most 120 characters)."), field="name")
    chosen = sorted({Scope(s).value for s in scopes})
    if not chosen:
        raise DomainError(N_("Choose at least one scope."), field="scopes")
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise DomainError(N_("No such organisation."), field="organisation_id")
    if expires_at is not None and expires_at <= now:
        raise DomainError(N_("The expiry must be in the future."), field="expires_at")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, prefix=token[:10], token_hash=digest(token), scopes=chosen,
                   organisation_id=organisation_id, created_by_id=actor.id, created_at=now, expires_at=expires_at)
    session.add(row)
    session.flush()
    record_event(session, actor=actor, action="api_token.issue", entity_type="api_token", entity_id=row.id, now=now,
                 detail={"name": name, "scopes": chosen, "organisation_id": organisation_id})
    return row, token


def revoke(session: Session, token: ApiToken, *, actor, now: dt.datetime) -> None:
    if token.revoked_at is not None:
        raise Conflict(N_("The token was already revoked."))
    token.revoked_at, token.revoked_by_id = now, actor.id
    record_event(session, actor=actor, action="api_token.revoke", entity_type="api_token", entity_id=token.id,
                 now=now, detail={"name": token.name})


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.name,
                                                          ApiToken.id)))


def authenticate(session: Session, token: str, *, now: dt.datetime) -> ApiClient | None:
    """The client behind this token, or None when it is unknown, revoked or expired."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return ApiClient(token_id=row.id, name=row.name, organisation_id=row.organisation_id,
                     scopes=frozenset(row.scopes))


def count_call(session: Session, client: ApiClient, *, per_minute: int, now: dt.datetime,
               address: str | None) -> int | None:
    """Count one call in this minute's window. None when within the limit; else the seconds until the window
    ends (the Retry-After). The token's last use is written when a new window opens (at most once a minute).

    On PostgreSQL the transaction's commit does not wait for its WAL record to reach the disk (synchronous_commit
    off for this transaction only; the caller's transaction holds the count and nothing else that must last): a
    crash can forget the last fraction of a second of counts, which a per-minute limit does not notice, and every
    call saves a disk flush while it holds the window's row lock (calls with one token queue on that row)."""
    window = now.replace(second=0, microsecond=0)
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    insert = pg_insert if postgresql else sqlite_insert
    statement = insert(ApiUsage).values(token_id=client.token_id, window_start=window, count=1)
    statement = statement.on_conflict_do_update(index_elements=["token_id", "window_start"],
                                                set_={"count": ApiUsage.count + 1}).returning(ApiUsage.count)
    count = session.execute(statement).scalar_one()
    if count == 1:  # the first call of a new window: the older ones are done with
        session.execute(delete(ApiUsage).where(ApiUsage.token_id == client.token_id,
                                               ApiUsage.window_start < window))
        session.execute(update(ApiToken).where(ApiToken.id == client.token_id)
                        .values(last_used_at=now, last_used_address=address))
    if count > per_minute:
        return max(1, 60 - now.second)
    return None
