"""Signing in to the portal. A one-time code by SMS to a number registered on the citizen or on a relative she gave
access (the citizen record and her contact persons are the only source of who a number belongs to) gives the low
level: her visit windows only. MitID (OpenID Connect, checked in the view) gives "betydelig": the CPR number in the
token must be the citizen's or the relative's of the grant. Codes are random, kept as a keyed hash, short-lived,
single-use and limited per number and per address; every request and try is an attempt row; too many wrong tries
lock the number (and the address) for the window, and the lock is an audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from portal.models import Assurance, GrantScope, PortalSession, ProxyGrant, SignInAttempt, SignInCode
from servicecenter.audit.models import AuditEvent, Outcome
from servicecenter.audit.service import record_event
from servicecenter.citizens.models import Citizen, ContactPerson
from servicecenter.citizens.service import phone_key
from servicecenter.db import local_date
from servicecenter.errors import N_, DomainError
from servicecenter.outbox import service as outbox
from servicecenter.outbox.models import MessageChannel
from servicecenter.outbox.texts import translate

CODE_DIGITS = 6


@dataclass(frozen=True)
class Limits:
    """How long a code lives and how much may be asked and tried, per number and per address, in the window."""

    code_minutes: int = 10
    tries_per_code: int = 5
    window: dt.timedelta = dt.timedelta(hours=1)
    codes_per_number: int = 5
    codes_per_address: int = 30
    failures_per_number: int = 10
    failures_per_address: int = 50
    idle: dt.timedelta = dt.timedelta(minutes=15)
    max_age: dt.timedelta = dt.timedelta(hours=1)

    @classmethod
    def from_config(cls, config: dict) -> Limits:
        return cls(**{name: config[f"PORTAL_{name.upper()}"] for name in cls.__dataclass_fields__
                      if f"PORTAL_{name.upper()}" in config})


class SignInRefused(DomainError):
    status_code = 429


@dataclass(frozen=True)
class Subject:
    """Whose record a sign-in opens, and as whom: the citizen herself (grant None) or a relative by her grant."""

    citizen_id: int
    grant_id: int | None = None


def number_key(number: str) -> str:
    key = phone_key(number) or ""
    if not key.isdigit() or not 8 <= len(key) <= 15:
        raise DomainError(N_("Enter your phone number: 8 digits."), field="number")
    return key


def _active_grants(day: dt.date):
    return (ProxyGrant.withdrawn_at.is_(None), ProxyGrant.contact_id.is_not(None), ProxyGrant.valid_from <= day,
            ProxyGrant.valid_until >= day)


def subjects_of_number(session: Session, key: str, *, today: dt.date) -> list[Subject]:
    """The citizens whose record holds this number, and the grants of relatives whose contact has it."""
    own = session.scalars(select(Citizen.id).where(or_(Citizen.mobile_key == key, Citizen.phone_key == key))
                          .order_by(Citizen.id)).all()
    granted = session.execute(select(ProxyGrant.citizen_id, ProxyGrant.id)
                              .join(ContactPerson, ContactPerson.id == ProxyGrant.contact_id)
                              .where(ContactPerson.phone_key == key, *_active_grants(today))
                              .order_by(ProxyGrant.id)).all()
    return [Subject(c) for c in own] + [Subject(c, g) for c, g in granted]


def subjects_of_cpr(session: Session, cpr: str, *, today: dt.date) -> list[Subject]:
    """The citizen with this CPR number, and the grants this person holds as a relative."""
    own = session.scalars(select(Citizen.id).where(Citizen.cpr == cpr)).all()
    granted = session.execute(select(ProxyGrant.citizen_id, ProxyGrant.id)
                              .where(ProxyGrant.relative_cpr == cpr, *_active_grants(today))
                              .order_by(ProxyGrant.id)).all()
    return [Subject(c) for c in own] + [Subject(c, g) for c, g in granted]


def _digest(secret: str, key: str, code: str) -> str:
    return hmac.new(secret.encode(), f"{key}:{code}".encode(), hashlib.sha256).hexdigest()


def _count(session: Session, column, value: str, kind: str, *, since: dt.datetime, failed: bool = False) -> int:
    stmt = select(func.count()).select_from(SignInAttempt).where(column == value, SignInAttempt.kind == kind,
                                                                 SignInAttempt.at > since)
    if failed:
        stmt = stmt.where(SignInAttempt.succeeded.is_(False))
    return session.scalar(stmt)


def _attempt(session: Session, key: str, address: str, kind: str, succeeded: bool, now: dt.datetime) -> None:
    session.add(SignInAttempt(number_key=key, address=address[:45], kind=kind, succeeded=succeeded, at=now))


def request_code(session: Session, number: str, *, address: str, now: dt.datetime, limits: Limits, secret: str,
                 link: str) -> int | None:
    """Send a code to this number if it belongs to someone; the answer to the person asking is the same either
    way (a number's owner is not revealed). Returns the outbox message's id, to send at once after commit."""
    key = number_key(number)
    since = now - limits.window
    if _count(session, SignInAttempt.number_key, key, "request", since=since) >= limits.codes_per_number or \
            _count(session, SignInAttempt.address, address, "request", since=since) >= limits.codes_per_address:
        raise SignInRefused(N_("Too many codes asked for. Wait an hour, or call the service center."))
    subjects = subjects_of_number(session, key, today=local_date(now))
    _attempt(session, key, address, "request", bool(subjects), now)
    if not subjects:
        return None
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    row = SignInCode(number_key=key, code_hash=_digest(secret, key, code), created_at=now,
                     expires_at=now + dt.timedelta(minutes=limits.code_minutes), failures=0)
    session.add(row)
    session.flush()
    language = _language(session, subjects)
    body = translate(language, N_("Your code for Fælles Servicecenter is %(code)s. It works for %(minutes)d "
                                  "minutes. Never give it to anyone. %(link)s"),
                     code=code, minutes=limits.code_minutes, link=link)
    return outbox.enqueue(session, key=f"portal.code:{row.id}", purpose="portal.code", channel=MessageChannel.SMS,
                          recipient=key, body=body, now=now).id


def _language(session: Session, subjects: list[Subject]) -> str:
    own = next((s for s in subjects if s.grant_id is None), None)
    return session.get(Citizen, own.citizen_id).language if own else "da"


@dataclass(frozen=True)
class Verdict:
    subjects: list[Subject]
    locked: bool = False


def locked(session: Session, key: str, address: str, *, now: dt.datetime, limits: Limits) -> bool:
    since = now - limits.window
    return _count(session, SignInAttempt.number_key, key, "verify", since=since, failed=True) \
        >= limits.failures_per_number or \
        _count(session, SignInAttempt.address, address, "verify", since=since, failed=True) \
        >= limits.failures_per_address


def verify_code(session: Session, key: str, code: str, *, address: str, now: dt.datetime, limits: Limits,
                secret: str) -> Verdict:
    """The people this number signs in as when the code is right; an empty verdict otherwise (the failure is
    recorded: the caller commits it). A locked number or address is refused without looking at the code."""
    if locked(session, key, address, now=now, limits=limits):
        _attempt(session, key, address, "verify", False, now)
        return Verdict([], locked=True)
    row = session.scalars(select(SignInCode).where(SignInCode.number_key == key, SignInCode.used_at.is_(None),
                                                   SignInCode.expires_at > now,
                                                   SignInCode.failures < limits.tries_per_code)
                          .order_by(SignInCode.created_at.desc(), SignInCode.id.desc()).limit(1)
                          .with_for_update()).first()
    given = "".join(ch for ch in code if ch.isdigit())
    if row is None or not hmac.compare_digest(row.code_hash, _digest(secret, key, given)):
        if row is not None:
            row.failures += 1
        _attempt(session, key, address, "verify", False, now)
        session.flush()
        if locked(session, key, address, now=now, limits=limits):
            record_event(session, actor=None, action="portal.signin_locked", entity_type="portal_number",
                         entity_id=None, now=now, outcome=Outcome.DENIED,
                         detail={"number": _masked(key), "address": address[:45]})
            return Verdict([], locked=True)
        return Verdict([])
    row.used_at = now
    # One code signs in once: any other code still open for this number dies with it.
    session.execute(update(SignInCode).where(SignInCode.number_key == key, SignInCode.used_at.is_(None))
                    .values(used_at=now))
    _attempt(session, key, address, "verify", True, now)
    return Verdict(subjects_of_number(session, key, today=local_date(now)))


def _masked(key: str) -> str:
    return "•" * (len(key) - 2) + key[-2:]


# --- portal sessions --------------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, subject: Subject, *, assurance: Assurance, now: dt.datetime,
                 number: str | None = None, how: str) -> tuple[str, PortalSession]:
    """A new portal session for the subject; the token goes in the cookie, its hash in the table."""
    token = secrets.token_urlsafe(32)
    row = PortalSession(token_hash=_token_hash(token), citizen_id=subject.citizen_id, grant_id=subject.grant_id,
                        assurance=assurance, number_key=number, created_at=now, last_seen_at=now)
    session.add(row)
    session.flush()
    portal_event(session, row, "portal.signin", now=now, detail={"how": how})
    return token, row


def current_session(session: Session, token: str | None, *, now: dt.datetime, limits: Limits
                    ) -> PortalSession | None:
    """The live session of this token, touched; None (and ended) when idle too long, too old, or its grant no
    longer holds (withdrawn or run out: a relative then sees nothing)."""
    if not token:
        return None
    row = session.scalar(select(PortalSession).where(PortalSession.token_hash == _token_hash(token)))
    if row is None or row.ended_at is not None:
        return None
    grant_gone = row.grant is not None and not row.grant.holds_on(local_date(now))
    if now - row.last_seen_at > limits.idle or now - row.created_at > limits.max_age or grant_gone:
        row.ended_at = now
        return None
    row.last_seen_at = now
    return row


def end_session(row: PortalSession, *, now: dt.datetime) -> None:
    if row.ended_at is None:
        row.ended_at = now


STEP_UP_REFUSED = N_("The MitID you used is not the person who signed in with the code. Sign in again.")


def step_up(session: Session, row: PortalSession, cpr: str, *, now: dt.datetime) -> tuple[str, PortalSession] | None:
    """MitID said who this is: the session rises to "betydelig" if it is the same person the code signed in (the
    citizen, or the relative of the grant). A new token: the old one dies (no fixation across levels). Another
    person: the session ends and the refusal is an audit event (the caller commits both; None)."""
    expected = row.grant.relative_cpr if row.grant is not None else row.citizen.cpr
    end_session(row, now=now)
    if not hmac.compare_digest(expected, cpr):
        portal_event(session, row, "portal.step_up_refused", now=now, outcome=Outcome.DENIED)
        return None
    token, new = open_session(session, Subject(row.citizen_id, row.grant_id), assurance=Assurance.SUBSTANTIAL,
                              now=now, number=row.number_key, how="mitid_step_up")
    return token, new


# --- what a session may see -------------------------------------------------------------------------------------

# What each part of the portal needs: the level of assurance, and for a relative the scope she was granted.
PARTS = {
    "visits": (Assurance.LOW, GrantScope.VISITS),
    "visit_details": (Assurance.SUBSTANTIAL, GrantScope.VISITS),
    "devices": (Assurance.SUBSTANTIAL, GrantScope.DEVICES),
    "trainings": (Assurance.SUBSTANTIAL, GrantScope.EVERYTHING),
    "contacts": (Assurance.SUBSTANTIAL, GrantScope.EVERYTHING),
    "access_log": (Assurance.SUBSTANTIAL, GrantScope.EVERYTHING),
    "grants": (Assurance.SUBSTANTIAL, None),  # only the citizen herself gives and withdraws access
}
SCOPE_ORDER = (GrantScope.VISITS, GrantScope.DEVICES, GrantScope.EVERYTHING)


def may(row: PortalSession, part: str) -> bool:
    level, scope = PARTS[part]
    if level == Assurance.SUBSTANTIAL and row.assurance != Assurance.SUBSTANTIAL:
        return False
    if row.grant is None:
        return True
    return scope is not None and SCOPE_ORDER.index(row.grant.scope) >= SCOPE_ORDER.index(scope)


def portal_event(session: Session, row: PortalSession, action: str, *, now: dt.datetime,
                 outcome: Outcome = Outcome.ALLOWED, detail: dict | None = None) -> AuditEvent:
    """An audit event by the person of a portal session: no staff user, the role says citizen or relative."""
    detail = {**(detail or {}), "level": row.assurance.value}
    if row.grant is not None:
        detail |= {"grant": row.grant_id, "relative": row.grant.relative_name}
    event = record_event(session, actor=None, action=action, entity_type="citizen", entity_id=row.citizen_id,
                         citizen_id=row.citizen_id, now=now, outcome=outcome, detail=detail)
    event.actor_role = "relative" if row.grant is not None else "citizen"
    return event


def tidy(session: Session, *, now: dt.datetime, limits: Limits) -> tuple[int, int]:
    """The nightly tidy: sessions past their limits are ended (a browser that never came back), and codes a day old
    are deleted (only a hash, and useless by then; the attempts stay for the security review)."""
    ended = session.execute(update(PortalSession).where(
        PortalSession.ended_at.is_(None),
        or_(PortalSession.last_seen_at < now - limits.idle, PortalSession.created_at < now - limits.max_age))
        .values(ended_at=now)).rowcount
    forgotten = session.execute(delete(SignInCode).where(SignInCode.created_at < now - dt.timedelta(days=1))).rowcount
    return ended, forgotten
