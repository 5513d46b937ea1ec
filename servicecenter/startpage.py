"""Start pages that are work: each feature registers panels for the roles whose work they are; a panel's loader
(flask-free, in the feature's service) reads what the panel shows with a fixed number of statements, whatever the
data size, so the start page costs the same on the first day and at national scale.

Counts are capped (`capped_count`): a panel shows "99+" rather than counting a million rows each time someone
opens the start page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

COUNT_CAP = 100  # a count from this on shows as "99+"


@dataclass(frozen=True)
class Panel:
    """One block of a start page: `template` is rendered with `data` = `load(session, user, now)`; `order` places
    it (smaller first); `wide` panels take a whole row."""

    key: str
    roles: frozenset[str]
    order: int
    template: str
    load: Callable[[Session, object, dt.datetime], object] | None = None
    wide: bool = False


def panels_for(panels: Iterable[Panel], role: str) -> list[Panel]:
    return sorted((p for p in panels if role in p.roles), key=lambda p: (p.order, p.key))


def capped_count(ids: Select) -> Select:
    """SELECT count(*) of at most COUNT_CAP rows of `ids` (one column): a scalar subquery, so several counts share
    one statement."""
    inner = ids.limit(COUNT_CAP).subquery()
    return select(func.count()).select_from(inner).scalar_subquery()


def counts(session: Session, **named: Select) -> dict[str, int]:
    """Several capped counts in one statement: counts(s, mine=select(Ticket.id).where(...), ...)."""
    if not named:
        return {}
    row = session.execute(select(*(capped_count(q).label(k) for k, q in named.items()))).one()
    return dict(zip(named, row, strict=True))
