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

from sqlalchemy import true, tuple_
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


def older_than(at_column, seq_column, source: str, before: Cursor | None):
    """SQL condition: this source's rows sort after the cursor (are older, in newest-first order)."""
    if before is None:
        return true()
    if source < before.source:
        return at_column <= before.at
    if source > before.source:
        return at_column < before.at
    # A row-value comparison, not "at < A or (at = A and id < I)": both databases walk the (…, at, id) index
    # backwards from the cursor instead of filtering every row of the citizen's history.
    return tuple_(at_column, seq_column) < tuple_(before.at, before.seq)


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
