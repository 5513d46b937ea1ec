"""Inventory's part of the citizen timeline (devices into and out of the homes of the citizen's courses) and the
device models a course's home held at a moment (what a training was held with)."""

from __future__ import annotations

import datetime as dt
from functools import cache

from sqlalchemy import bindparam, or_, select, union
from sqlalchemy.orm import Session, aliased

from inventory.models import Custody, Device, DeviceModel, Holder, Movement, MovementKind
from servicecenter.auth.models import User
from servicecenter.errors import N_
from servicecenter.timeline import Cursor, Entry, keyset_params, keyset_position, older_than_bound

SOURCE = "movement"
ACTOR = aliased(User)
MESSAGES = {
    MovementKind.HANDOVER: N_("%(tag)s (%(model)s) handed over in the home"),
    MovementKind.COLLECT: N_("%(tag)s (%(model)s) collected from the home"),
    MovementKind.FAULT: N_("%(tag)s (%(model)s) reported faulty"),
    MovementKind.LOSE: N_("%(tag)s (%(model)s) reported lost"),
    MovementKind.FIND: N_("%(tag)s (%(model)s) found"),
}


@cache
def _query(position: str):
    homes = select(Holder.id).where(Holder.citizen_id == bindparam("citizen_id")).scalar_subquery()
    page = bindparam("page")
    older = older_than_bound(Movement.occurred_at, Movement.id, position)
    newest = (Movement.occurred_at.desc(), Movement.id.desc())
    into, out_of = (select(Movement.id, Movement.occurred_at).where(direction.in_(homes), older)
                    .order_by(*newest).limit(page).subquery()
                    for direction in (Movement.to_holder_id, Movement.from_holder_id))
    both = union(select(into.c.id, into.c.occurred_at), select(out_of.c.id, out_of.c.occurred_at)).subquery()
    chosen = select(both.c.id).order_by(both.c.occurred_at.desc(), both.c.id.desc()).limit(page).subquery()
    return (select(Movement.id, Movement.kind, Movement.occurred_at, Movement.note, Device.tag, DeviceModel.name,
                   ACTOR.full_name)
            .join(chosen, chosen.c.id == Movement.id)
            .join(Device, Device.id == Movement.device_id).join(DeviceModel, DeviceModel.id == Device.model_id)
            .outerjoin(ACTOR, ACTOR.id == Movement.actor_id)
            .order_by(*newest).limit(page))


def movement_entries(session: Session, citizen_id: int, *, before: Cursor | None, limit: int,
                     categories: set[str]) -> list[Entry]:
    """Movements into, within and out of the citizen's homes, newest first: one statement. Each direction is its
    own index-only range (movements by to_holder / from_holder, then time) limited to the page, and the page is cut
    from the two before anything is joined, so a long history costs about the same per page as a short one. A
    movement from one of the homes to another is in both ranges; UNION keeps it once (excluding it from the second
    range instead would read every movement of that range from the table)."""
    if "equipment" not in categories:
        return []
    rows = session.execute(_query(keyset_position(SOURCE, before)),
                           {"citizen_id": citizen_id, "page": limit + 1, **keyset_params(before)}).all()
    return [Entry(at, SOURCE, movement_id, "equipment",
                  MESSAGES.get(kind, N_("%(tag)s (%(model)s): %(kind)s")), {"tag": tag, "model": model, "kind": kind},
                  note=note, actor=who, link=("inventory.device", {"tag": tag}))
            for movement_id, kind, at, note, tag, model, who in rows]


movement_entries.categories = ("equipment",)


def models_in_home(session: Session, course_id: int, at: dt.datetime) -> list[dict]:
    """The device models the citizen had at home on this course at that moment (a training's time), by the
    custody intervals of the ledger."""
    rows = session.execute(
        select(DeviceModel.id, DeviceModel.name).distinct().join(Device, Device.model_id == DeviceModel.id)
        .join(Custody, Custody.device_id == Device.id).join(Holder, Holder.id == Custody.holder_id)
        .where(Holder.course_id == course_id, Custody.started_at <= at,
               or_(Custody.ended_at.is_(None), Custody.ended_at > at)).order_by(DeviceModel.name)).all()
    return [{"id": model_id, "name": name} for model_id, name in rows]
