"""Place labels: a van or a bin carries its own tag (V…, B…); a depot or a repair vendor is labelled P… with its
id, so every place a scan page asks for can be chosen by scanning its label instead of picking it from a list."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Holder, HolderKind
from inventory.tags import make_tag

PLACE_PREFIXES = ("V", "B", "P")
BY_ID = (HolderKind.DEPOT, HolderKind.REPAIR)  # labelled P + id: they have no tag of their own


def place_tag(holder: Holder) -> str | None:
    """The code printed on a place's label, or None for a place that has none (a home, cleaning, lost)."""
    if holder.tag:
        return holder.tag
    if holder.kind in BY_ID and 0 < holder.id < 1_000_000:
        return make_tag("P", holder.id)
    return None


def is_place_tag(tag: str) -> bool:
    """A parsed tag that names a place, not a device or a kit."""
    return tag[:1] in PLACE_PREFIXES


def place_by_tag(session: Session, tag: str) -> Holder | None:
    """The active place a parsed label names, or None."""
    if tag[:1] == "P":
        holder = session.get(Holder, int(tag[1:7]))
        found = holder if holder is not None and holder.kind in BY_ID else None
    else:
        found = session.scalar(select(Holder).where(Holder.tag == tag))
    return found if found is not None and found.is_active else None


def place_for(session: Session, holder: Holder, kinds: tuple[HolderKind, ...]) -> Holder | None:
    """The place of one of `kinds` that a scanned label stands for: the place itself, or a bin's depot when a
    depot is asked for (a shelf label in the depot chooses the depot)."""
    if holder.kind in kinds:
        return holder
    if holder.kind == HolderKind.BIN and HolderKind.DEPOT in kinds and holder.depot_id:
        return session.get(Holder, holder.depot_id)
    return None


def van_of_user(session: Session, user_id: int) -> Holder | None:
    """The active van whose technician this user is, as inventory records it (the van's own user)."""
    return session.scalar(select(Holder).where(Holder.kind == HolderKind.VAN, Holder.user_id == user_id,
                                               Holder.is_active.is_(True)).order_by(Holder.id).limit(1))
