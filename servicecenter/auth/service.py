"""Accounts and login sessions: authenticate with throttling, check and end sessions, manage users."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from servicecenter.audit.service import record_event
from servicecenter.auth import passwords
from servicecenter.auth.models import LoginAttempt, Role, User, UserSession, UserStatus
from servicecenter.db import get_or_raise, serialize_on
from servicecenter.errors import N_, DomainError
from servicecenter.organisations.models import Organisation
from servicecenter.statuses import TransitionTable, transition

USER_STATUS = TransitionTable(
    "user",
    {UserStatus.ACTIVE: {UserStatus.DISABLED}, UserStatus.DISABLED: {UserStatus.ACTIVE}},
    {UserStatus.ACTIVE: N_("active"), UserStatus.DISABLED: N_("disabled")},
)

# last_seen_at is written at most this often, so a busy user does not write on every request.
TOUCH_INTERVAL = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class LoginLimits:
    """Failures allowed in the window: few for one username from one address (someone guessing), more for one
    username from anywhere (a spread-out attack), many for one address (a whole hospital behind one NAT)."""

    max_failures: int  # per username and address
    max_failures_per_user: int
    max_failures_per_ip: int
    window: dt.timedelta


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    token: str | None = None
    error: str | None = None
    retry_minutes: int = 0


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _recent_failures(session: Session, since: dt.datetime, *conditions) -> int:
    stmt = select(func.count()).where(*conditions, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    return session.scalar(stmt) or 0


def _throttled(session: Session, *, username: str, ip: str, now: dt.datetime, limits: LoginLimits) -> bool:
    since = now - limits.window
    return (
        _recent_failures(session, since, LoginAttempt.username == username, LoginAttempt.ip_address == ip)
        >= limits.max_failures
        or _recent_failures(session, since, LoginAttempt.username == username) >= limits.max_failures_per_user
        or _recent_failures(session, since, LoginAttempt.ip_address == ip) >= limits.max_failures_per_ip
    )


def attempt_login(
    session: Session, *, username: str, password: str, ip: str, now: dt.datetime, limits: LoginLimits
) -> LoginResult:
    """Check a login; record the attempt either way. The count of failures lives in the database, so the
    throttle holds across every worker process and app instance."""
    key = normalise_username(username)[:60]
    # Parallel attempts on one username count one after the other, so a burst cannot slip past the limit.
    serialize_on(session, f"login:{key}")
    if _throttled(session, username=key, ip=ip, now=now, limits=limits):
        minutes = int(limits.window.total_seconds() // 60)
        return LoginResult(None, error=N_("Too many failed attempts. Try again in %(minutes)d minutes."),
                           retry_minutes=minutes)
    user = session.scalar(select(User).where(User.username == key))
    if user is None:
        passwords.burn_time(password)
    ok = user is not None and passwords.verify_password(user.password_hash, password) and user.is_active
    session.add(LoginAttempt(username=key, ip_address=ip[:45], at=now, succeeded=ok))
    if not ok:
        return LoginResult(None, error=N_("Wrong username or password, or the account is disabled."))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = now
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=_token_hash(token), user=user, created_at=now, last_seen_at=now))
    record_event(session, actor=user, action="auth.login", entity_type="user", entity_id=user.id, now=now)
    return LoginResult(user, token=token)


@dataclass(frozen=True)
class SessionCheck:
    user_session: UserSession | None
    end_reason: str | None = None  # set: the session must be ended now
    touch: bool = False  # set: last_seen_at is due to be written


def check_session(
    session: Session, token: str, *, now: dt.datetime, idle: dt.timedelta, max_age: dt.timedelta
) -> SessionCheck:
    """Read-only verdict on a login session; the caller writes what it says in a unit of work."""
    user_session = session.scalar(select(UserSession).where(UserSession.token_hash == _token_hash(token)))
    if user_session is None or user_session.ended_at is not None:
        return SessionCheck(None)
    if not user_session.user.is_active:
        return SessionCheck(user_session, end_reason="disabled")
    if now - user_session.last_seen_at > idle:
        return SessionCheck(user_session, end_reason="idle")
    if now - user_session.created_at > max_age:
        return SessionCheck(user_session, end_reason="max_age")
    return SessionCheck(user_session, touch=now - user_session.last_seen_at > TOUCH_INTERVAL)


def touch_session(session: Session, user_session: UserSession, *, now: dt.datetime) -> None:
    user_session.last_seen_at = now


def end_session(session: Session, user_session: UserSession, *, reason: str, now: dt.datetime) -> None:
    if user_session.ended_at is None:
        user_session.ended_at = now
        user_session.end_reason = reason


def logout(session: Session, token: str, *, actor: User, now: dt.datetime) -> None:
    user_session = session.scalar(select(UserSession).where(UserSession.token_hash == _token_hash(token)))
    if user_session is not None:
        end_session(session, user_session, reason="logout", now=now)
        record_event(session, actor=actor, action="auth.logout", entity_type="user", entity_id=actor.id, now=now)


def end_user_sessions(session: Session, user_id: int, *, reason: str, now: dt.datetime) -> int:
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    return result.rowcount


def end_expired_sessions(session: Session, *, now: dt.datetime, idle: dt.timedelta, max_age: dt.timedelta) -> int:
    """The scheduler's job: close sessions idle or older than allowed, so they are ended in the records too."""
    result = session.execute(
        update(UserSession)
        .where(
            UserSession.ended_at.is_(None),
            or_(UserSession.last_seen_at < now - idle, UserSession.created_at < now - max_age),
        )
        .values(ended_at=now, end_reason="expired")
    )
    return result.rowcount


# --- managing users -------------------------------------------------------------------------------------


def get_user(session: Session, user_id: int) -> User:
    return get_or_raise(session, User, user_id, N_("No such user."))


def list_users(session: Session, *, query: str = "", page: int, per_page: int) -> tuple[list[User], int]:
    stmt = select(User)
    if query:
        like = f"%{_escape_like(query.strip().lower())}%"
        by_name = func.lower(User.full_name).like(like, escape="\\")
        stmt = stmt.where(or_(User.username.like(like, escape="\\"), by_name))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    users = session.scalars(stmt.order_by(User.full_name, User.id).limit(per_page).offset((page - 1) * per_page))
    return list(users), total


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _check_organisation(session: Session, organisation_id: int) -> None:
    if session.get(Organisation, organisation_id) is None:
        raise DomainError(N_("Choose an organisation."), field="organisation_id")


def create_user(
    session: Session,
    *,
    actor: User | None,
    now: dt.datetime,
    username: str,
    full_name: str,
    role: Role,
    organisation_id: int,
    password: str,
    email: str | None = None,
    phone: str | None = None,
) -> User:
    key = normalise_username(username)
    if session.scalar(select(User.id).where(User.username == key)) is not None:
        raise DomainError(N_("The username is taken."), field="username")
    passwords.check_policy(password, username=key)
    _check_organisation(session, organisation_id)
    user = User(
        username=key, full_name=full_name.strip(), role=role, organisation_id=organisation_id,
        email=email or None, phone=phone or None, password_hash=passwords.hash_password(password),
        created_at=now, password_changed_at=now, status=UserStatus.ACTIVE,
    )
    session.add(user)
    session.flush()
    record_event(session, actor=actor, action="user.create", entity_type="user", entity_id=user.id, now=now,
                 detail={"username": key, "role": role.value})
    return user


def update_user(
    session: Session, user: User, *, actor: User, now: dt.datetime, full_name: str, role: Role,
    organisation_id: int, email: str | None, phone: str | None,
) -> User:
    _check_organisation(session, organisation_id)
    if user.id == actor.id and role != user.role:
        raise DomainError(N_("You cannot change your own role."), field="role")
    changed = {k: v for k, v in (("role", role.value), ("organisation_id", organisation_id))
               if getattr(getattr(user, k), "value", getattr(user, k)) != v}
    user.full_name, user.role, user.organisation_id = full_name.strip(), role, organisation_id
    user.email, user.phone = email or None, phone or None
    if changed:
        # A new role or organisation changes what the person may see: make them log in again.
        end_user_sessions(session, user.id, reason="changed", now=now)
    record_event(session, actor=actor, action="user.update", entity_type="user", entity_id=user.id, now=now,
                 detail=changed or None)
    return user


def set_user_status(session: Session, user: User, status: UserStatus, *, actor: User, now: dt.datetime) -> None:
    if user.id == actor.id:
        raise DomainError(N_("You cannot disable your own account."))
    transition(session, user, status, table=USER_STATUS, actor=actor, now=now)
    if status == UserStatus.DISABLED:
        end_user_sessions(session, user.id, reason="disabled", now=now)


def set_password(session: Session, user: User, password: str, *, actor: User | None, now: dt.datetime) -> None:
    """Set a new password (by an admin, or the user after confirming the old one); other sessions end."""
    passwords.check_policy(password, username=user.username)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    end_user_sessions(session, user.id, reason="password", now=now)
    record_event(session, actor=actor, action="user.password", entity_type="user", entity_id=user.id, now=now)


def change_own_password(
    session: Session, user: User, *, current: str, new: str, now: dt.datetime
) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise DomainError(N_("The current password is wrong."), field="current_password")
    set_password(session, user, new, actor=user, now=now)
