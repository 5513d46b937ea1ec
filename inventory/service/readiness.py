"""Which kits stand ready: complete, every member ready, all on one depot's shelf. The rule is one query
(`ready_kit_rows`); each kit keeps its answer in `kits.ready_at_id`, derived in the same transaction as every move,
pack and unpack of a member and every change of the kit's template, so the stock count reads the ready kits alone.
`disagreements` is the check that the kept answer is the rule's."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, func, select, update
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

CATEGORIES = tuple(DeviceCategory)
CHUNK = 500


def ready_kit_rows(*conditions, kit_ids: Iterable[int] | None = None):
    """SELECT (kit id, depot id, template id, programme id) of complete kits whose members are all ready on one depot's
    shelf, in one statement whose work is bounded by the ready stock, not by the number of kits out in homes: only
    ready devices are grouped by kit (devices.status is indexed), a kit counts when they are all its members (one
    index count per kit) and on one holder, and completeness (every item of the template, per category) is compared
    in SQL rather than by sending thousands of kit ids back in an IN list."""
    member = aliased(Device)
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


def refresh_readiness(session: Session, kit_ids: Iterable[int | None]) -> None:
    """Derive `ready_at_id` of these kits from their members as they are now (after the pending changes)."""
    ids = sorted({i for i in kit_ids if i is not None})
    if not ids:
        return
    session.flush()
    for chunk in (ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)):
        ready = session.execute(select(*ready_kit_rows(kit_ids=chunk).subquery().c["kit_id", "depot_id"])).all()
        session.execute(update(Kit).where(Kit.id.in_(chunk)).values(ready_at_id=None)
                        .execution_options(synchronize_session="fetch"))
        for depot_id in {depot for _kit, depot in ready}:
            session.execute(update(Kit).where(Kit.id.in_([k for k, d in ready if d == depot_id]))
                            .values(ready_at_id=depot_id).execution_options(synchronize_session="fetch"))


def refresh_template(session: Session, template_id: int) -> None:
    refresh_readiness(session, session.scalars(select(Kit.id).where(Kit.template_id == template_id)))


def disagreements(session: Session) -> list[tuple[str, int | None, int | None]]:
    """(kit tag, kept depot, the rule's depot) wherever they differ."""
    rule = ready_kit_rows().subquery()
    return [(tag, kept, derived) for tag, kept, derived in session.execute(
        select(Kit.tag, Kit.ready_at_id, rule.c.depot_id).outerjoin(rule, rule.c.kit_id == Kit.id)
        .where(func.coalesce(Kit.ready_at_id, 0) != func.coalesce(rule.c.depot_id, 0)).order_by(Kit.tag))]
