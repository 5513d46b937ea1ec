"""Which kits stand ready: complete, every member ready, all on one depot's shelf. The rule is one query
(`ready_kit_rows`); each kit keeps its answer in `kits.ready_at_id`, derived in the same transaction as every move
of a member into or out of ready, every pack and unpack and every change of the kit's template, so the stock count
reads the ready kits alone. `disagreements` is the check that the kept answer is the rule's.

Those changes `touch` the kit; the kits touched are derived once, as the transaction commits (`before_commit`),
after every row lock the transaction takes. On PostgreSQL the derivation first takes an advisory lock per kit
template, so two transactions moving members of one kit at once derive it one after the other, the second reading
what the first committed; taken last, it never waits while holding what a kit scan (kit row, then its devices)
waits for."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, event, func, select, update
from sqlalchemy.orm import Session, aliased

from inventory.models import (
    Device,
    DeviceCategory,
    DeviceModel,
    DeviceStatus,
    Holder,
    HolderKind,
    Kit,
    KitTemplate,
    KitTemplateItem,
)
from servicecenter.db import serialize_on

CATEGORIES = tuple(DeviceCategory)
CHUNK = 500
_MEMBER = aliased(Device, name="kit_member")  # made once: a new alias per call costs milliseconds of CPU
TOUCHED = "inventory.kits_touched"  # session.info key: kit ids whose readiness the commit derives


def ready_kit_rows(*conditions, kit_ids: Iterable[int] | None = None):
    """SELECT (kit id, depot id, template id, programme id) of complete kits whose members are all ready on one depot's
    shelf, in one statement whose work is bounded by the ready stock, not by the number of kits out in homes: only
    ready devices are grouped by kit (devices.status is indexed), a kit counts when they are all its members (one
    index count per kit) and on one holder, and completeness (every item of the template, per category) is compared
    in SQL rather than by sending thousands of kit ids back in an IN list."""
    member = _MEMBER
    members = select(func.count()).select_from(member).where(member.kit_id == Device.kit_id).scalar_subquery()
    per_kit = (
        select(Device.kit_id, func.min(Device.holder_id).label("holder_id"),
               *(func.sum(case((DeviceModel.category == c, 1), else_=0)).label(f"have_{c.value}") for c in CATEGORIES))
        .join(DeviceModel, DeviceModel.id == Device.model_id)
        .where(Device.status == DeviceStatus.READY, Device.kit_id.is_not(None),
               *(() if kit_ids is None else (Device.kit_id.in_(list(kit_ids)),)))
        .group_by(Device.kit_id)
        .having(func.count(func.distinct(Device.holder_id)) == 1, func.count() == members)
        .subquery()
    )
    wanted = (
        select(KitTemplateItem.template_id,
               *(func.sum(case((KitTemplateItem.category == c, KitTemplateItem.quantity), else_=0))
                 .label(f"want_{c.value}") for c in CATEGORIES))
        .group_by(KitTemplateItem.template_id)
        .subquery()
    )
    complete = [per_kit.c[f"have_{c.value}"] >= func.coalesce(wanted.c[f"want_{c.value}"], 0) for c in CATEGORIES]
    return (
        select(per_kit.c.kit_id, per_kit.c.holder_id.label("depot_id"), Kit.template_id, KitTemplate.programme_id)
        .join(Kit, Kit.id == per_kit.c.kit_id).join(KitTemplate, KitTemplate.id == Kit.template_id)
        .outerjoin(wanted, wanted.c.template_id == Kit.template_id)
        .join(Holder, Holder.id == per_kit.c.holder_id).where(Holder.kind == HolderKind.DEPOT, *complete, *conditions)
    )


def touch(session: Session, kit_ids: Iterable[int | None]) -> None:
    """These kits' readiness may have changed: derive it as the transaction commits."""
    session.info.setdefault(TOUCHED, set()).update(i for i in kit_ids if i is not None)


def touch_template(session: Session, template_id: int) -> None:
    touch(session, session.scalars(select(Kit.id).where(Kit.template_id == template_id)))


@event.listens_for(Session, "before_commit")
def _derive_touched(session: Session) -> None:
    touched = session.info.pop(TOUCHED, None)
    if touched:
        refresh_readiness(session, touched)


@event.listens_for(Session, "after_rollback")
def _forget_touched(session: Session) -> None:
    session.info.pop(TOUCHED, None)


def refresh_readiness(session: Session, kit_ids: Iterable[int | None]) -> None:
    """Derive `ready_at_id` of these kits from their members as they are now (after the pending changes), writing
    only the kits whose answer changed."""
    ids = sorted({i for i in kit_ids if i is not None})
    if not ids:
        return
    session.flush()
    chunks = [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]
    templates = {t for chunk in chunks for t in session.scalars(select(Kit.template_id).where(Kit.id.in_(chunk)))}
    for template_id in sorted(templates):  # always in the same order: two derivations never wait for each other
        serialize_on(session, f"kit-readiness:{template_id}")
    for chunk in chunks:
        kept = dict(session.execute(select(Kit.id, Kit.ready_at_id).where(Kit.id.in_(chunk))).all())
        ready = dict(session.execute(select(*ready_kit_rows(kit_ids=chunk).subquery().c["kit_id", "depot_id"])).all())
        changed = [k for k in chunk if kept.get(k) != ready.get(k)]
        for depot_id in {ready.get(k) for k in changed}:
            session.execute(update(Kit).where(Kit.id.in_([k for k in changed if ready.get(k) == depot_id]))
                            .values(ready_at_id=depot_id).execution_options(synchronize_session="fetch"))


def disagreements(session: Session) -> list[tuple[str, int | None, int | None]]:
    """(kit tag, kept depot, the rule's depot) wherever they differ."""
    rule = ready_kit_rows().subquery()
    return [(tag, kept, derived) for tag, kept, derived in session.execute(
        select(Kit.tag, Kit.ready_at_id, rule.c.depot_id).outerjoin(rule, rule.c.kit_id == Kit.id)
        .where(func.coalesce(Kit.ready_at_id, 0) != func.coalesce(rule.c.depot_id, 0)).order_by(Kit.tag))]
