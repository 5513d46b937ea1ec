"""Rate limits on reading citizens: searches, record opens and exports per person, in a sliding window counted in
the database (so every app instance counts the same hits). The work of a helpdesk agent on the phone all day stays
well below the limits; a script walking the register does not.

A hit is a row; counting a person's rows of a kind within the window decides. Rows older than the window are
deleted as the person's next hit of that kind is counted, so the table holds at most a window's worth per person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ForeignKey, Index, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from servicecenter.db import Base, UTCDateTime

KINDS = ("search", "record", "export")


class RateLimitHit(Base):
    __tablename__ = "rate_limit_hits"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_rate_limit_hits_user_kind_at", "user_id", "kind", "at"),)


@dataclass(frozen=True)
class Limit:
    count: int  # at most this many ...
    seconds: int  # ... within this many seconds

    @classmethod
    def parse(cls, value) -> Limit:
        """From configuration: (count, seconds) or "count/seconds"."""
        count, seconds = value.split("/") if isinstance(value, str) else value
        return cls(int(count), int(seconds))


def hit(session: Session, *, user_id: int, kind: str, limit: Limit, now: dt.datetime) -> int | None:
    """Count one hit of this kind by this person. None when it is within the limit (and recorded); else the whole
    minutes until the oldest hit in the window leaves it (refused hits are not recorded: waiting helps)."""
    since = now - dt.timedelta(seconds=limit.seconds)
    session.execute(delete(RateLimitHit).where(RateLimitHit.user_id == user_id, RateLimitHit.kind == kind,
                                               RateLimitHit.at <= since))
    count, oldest = session.execute(select(func.count(), func.min(RateLimitHit.at)).where(
        RateLimitHit.user_id == user_id, RateLimitHit.kind == kind, RateLimitHit.at > since)).one()
    if count >= limit.count:
        left = (oldest + dt.timedelta(seconds=limit.seconds) - now).total_seconds()
        return max(1, -(-int(left) // 60))
    session.add(RateLimitHit(user_id=user_id, kind=kind, at=now))
    return None
