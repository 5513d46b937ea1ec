"""The citizen timeline: everything that happened to a citizen, newest first, from several sources.

Each source (courses and handovers, training, and the features' own: device movements, visits, tickets) is a
function that returns at most `limit + 1` entries older than a cursor, newest first, in a constant number of
statements. The timeline merges them and keeps `limit`. Paging is by keyset (the last entry's key), so the
statement count and the time per page do not grow with the length of the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, true, tuple_
from sqlalchemy.orm import Session

CATEGORIES = ("course", "handover", "training", "equipment", "visit", "ticket")


@dataclass(frozen=True)
class Cursor:
    """The sort key of an entry: (at, source, seq), newest first. `source` orders entries at the same moment."""

    at: dt.datetime
    source: str
    seq: int

    def encode(self) -> str:
        return f"{self.at.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%S.%f')}~{self.source}~{self.seq}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """None for anything malformed: a bad cursor shows the first page rather than an error."""
        try:
            at, source, seq = (text or "").split("~")
            moment = dt.datetime.strptime(at, "%Y%m%dT%H%M%S.%f").replace(tzinfo=dt.UTC)
            number = int(seq)
            return cls(moment, source[:30], number) if source.isidentifier() and 0 <= number < 2**62 else None
        except ValueError:
            return None


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    source: str
    seq: int
    category: str
    message: str  # a msgid, translated when shown
    params: dict = field(default_factory=dict)
    note: str | None = None  # free text as written (a reason, a checklist summary)
    actor: str | None = None  # who did it
    link: tuple[str, dict] | None = None  # (endpoint, values) for the web page

    @property
    def key(self) -> tuple:
        return (self.at, self.source, self.seq)

    def cursor(self) -> Cursor:
        return Cursor(self.at, self.source, self.seq)


# (session, citizen_id, *, before, limit, categories) -> entries; the function's `categories` attribute names
# the categories it can return (the page offers only those as filters).
Source = Callable[..., list[Entry]]


def offered_categories(sources: Iterable[Source]) -> list[str]:
    found = {c for source in sources for c in getattr(source, "categories", ())}
    return [c for c in CATEGORIES if c in found]


# A source builds its statement once for each position of the cursor relative to it and executes it with the
# cursor's values as parameters: building a statement per call cost more Python than executing it (SQLAlchemy
# memoises a built statement's cache key and compiled form).


def keyset_position(source: str, before: Cursor | None) -> str:
    """Where this source's rows start relative to the cursor: the key of the source's statement."""
    if before is None:
        return "all"
    if source < before.source:
        return "at_or_before"
    return "before" if source > before.source else "before_row"


def older_than_bound(at_column, seq_column, position: str):
    """SQL condition: this source's rows sort after the cursor (are older, in newest-first order). The cursor's time
    and seq are the parameters `before_at` and `before_seq`, given at execution (`keyset_params`)."""
    return _older(at_column, seq_column, position, bindparam("before_at", type_=at_column.type),
                  bindparam("before_seq", type_=seq_column.type))


def keyset_params(before: Cursor | None) -> dict:
    return {} if before is None else {"before_at": before.at, "before_seq": before.seq}


def older_than(at_column, seq_column, source: str, before: Cursor | None):
    """The same condition with the cursor's values in it, for a statement built per call."""
    position = keyset_position(source, before)
    return _older(at_column, seq_column, position, *((before.at, before.seq) if before else (None, None)))


def _older(at_column, seq_column, position: str, at, seq):
    if position == "all":
        return true()
    if position == "at_or_before":
        return at_column <= at
    if position == "before":
        return at_column < at
    # A row-value comparison, not "at < A or (at = A and id < I)": both databases walk the (…, at, id) index
    # backwards from the cursor instead of filtering every row of the citizen's history.
    return tuple_(at_column, seq_column) < tuple_(at, seq)


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next_cursor: Cursor | None


def citizen_timeline(session: Session, citizen_id: int, sources: Iterable[Source], *, before: Cursor | None = None,
                     limit: int = 50, categories: set[str] | None = None) -> Page:
    wanted = set(categories or CATEGORIES)
    found: list[Entry] = []
    for source in sources:
        found.extend(source(session, citizen_id, before=before, limit=limit, categories=wanted))
    found.sort(key=lambda e: e.key, reverse=True)
    page = found[:limit]
    return Page(page, page[-1].cursor() if len(found) > limit else None)
