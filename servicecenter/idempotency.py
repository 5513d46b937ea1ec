"""Nothing done twice: the one-time key a create form carries, claimed in the transaction that creates the record.

A form that creates something renders a fresh key (a hidden field). Submitting it claims the key in the same
transaction as the record it creates; the same key submitted again (a double click, a resent request, two tabs)
finds the claim and is pointed at the first record instead of creating another. Two submissions at the same
moment take turns on the key (an advisory lock on PostgreSQL, SQLite's single writer), and the unique key is the
database's guarantee behind that.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from servicecenter.db import Base, UTCDateTime, serialize_on

KEY_FIELD = "idempotency_key"  # the hidden field's name in every create form
KEY_LENGTH = 64
KEEP = dt.timedelta(days=90)  # longer than any form stays open in a browser tab

T = TypeVar("T")


class IdempotencyKey(Base):
    """One claimed form key: what it created (kind and reference), who and when."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    kind: Mapped[str] = mapped_column(String(60))  # what the form creates: the endpoint's name
    ref: Mapped[str | None] = mapped_column(String(120))  # the created record's id (or tag); set in the same txn
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class AlreadyCreated(Exception):  # noqa: N818 - an outcome, not a failure
    """The key was claimed before: `ref` is what that submission created, None when it is not this user's or is
    unknown (the form is then to be reloaded)."""

    def __init__(self, kind: str, ref: str | None):
        super().__init__(f"{kind} already created: {ref}")
        self.kind = kind
        self.ref = ref


def record_id(made: object) -> object:
    """What a created record is found by: its id ('' when the action returns nothing to point at)."""
    return getattr(made, "id", "")


def new_key() -> str:
    return secrets.token_urlsafe(24)


def find_key(session: Session, key: str) -> IdempotencyKey | None:
    return session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key[:KEY_LENGTH]))


def earlier_outcome(claim: IdempotencyKey, *, kind: str, actor_id: int | None) -> AlreadyCreated:
    """What a repeated submission is told: the first record, only to the same user on the same kind of form."""
    mine = claim.user_id == actor_id and claim.kind == kind
    return AlreadyCreated(claim.kind, claim.ref if mine else None)


def create_once(session: Session, key: str | None, create: Callable[[], T], *, kind: str, actor_id: int | None,
                now: dt.datetime, ref: Callable[[T], object] | None = None) -> T:
    """Run `create` unless this key already created something (then raise AlreadyCreated); claim the key in the
    same transaction. Without a key (an API client, an old page) it simply creates."""
    if not key:
        return create()
    key = key[:KEY_LENGTH]
    serialize_on(session, f"idempotency:{key}")
    claim = find_key(session, key)
    if claim is not None:
        raise earlier_outcome(claim, kind=kind, actor_id=actor_id)
    claim = IdempotencyKey(key=key, kind=kind, user_id=actor_id, created_at=now)
    session.add(claim)
    session.flush()  # a concurrent claim of the same key fails here, on the unique index, before any work
    made = create()
    session.flush()
    claim.ref = str((ref or record_id)(made))[:120]
    return made


def forget_old_keys(session: Session, *, now: dt.datetime) -> int:
    """Delete the claims older than KEEP (a form that old is reloaded anyway); the number deleted."""
    return session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEEP)).rowcount
