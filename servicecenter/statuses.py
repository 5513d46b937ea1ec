"""The one way any status changes: a declared transition table, checked, and audited in the same transaction."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping

from sqlalchemy.orm import Session

from servicecenter.audit.service import record_event
from servicecenter.errors import N_, InvalidTransition, Msgid


class TransitionTable:
    """Allowed moves of one status enum: {from_status: {to_status, ...}}."""

    def __init__(self, name: str, allowed: Mapping[enum.Enum, set[enum.Enum]], labels: Mapping[enum.Enum, str]):
        self.name = name
        self.allowed = {src: frozenset(dst) for src, dst in allowed.items()}
        self.labels = labels

    def can(self, current: enum.Enum, target: enum.Enum) -> bool:
        return target in self.allowed.get(current, frozenset())

    def label(self, status: enum.Enum) -> Msgid:
        return Msgid(self.labels[status])


def transition(
    session: Session,
    obj: object,
    target: enum.Enum,
    *,
    table: TransitionTable,
    actor: object | None,
    now: dt.datetime,
    reason: str | None = None,
    citizen_id: int | None = None,
) -> None:
    current = obj.status
    if not table.can(current, target):
        raise InvalidTransition(
            N_("This cannot change from “%(current)s” to “%(target)s”."),
            current=table.label(current),
            target=table.label(target),
        )
    obj.status = target
    if obj.id is None:  # a new object needs its id for the audit row; an existing one is flushed with the rest
        session.flush()
    record_event(
        session,
        actor=actor,
        action=f"{table.name}.status",
        entity_type=table.name,
        entity_id=obj.id,
        citizen_id=citizen_id,
        now=now,
        detail={"from": current.value, "to": target.value, "reason": reason},
    )
