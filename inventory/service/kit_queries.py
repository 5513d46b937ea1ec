"""Reading kits: a list to find them by programme, place and state, and a kit's membership history."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from inventory.models import Device, DeviceModel, Holder, HolderKind, Kit, KitMembership, KitTemplateItem

KIT_STATES = ("complete", "incomplete", "split")
HOMES = "homes"  # the place filter's value for "in a citizen's home" (any course's home)


@dataclass(frozen=True)
class KitRow:
    kit: Kit
    members: list[Device]
    missing: dict[str, int]  # category -> how many more the template wants

    @property
    def is_complete(self) -> bool:
        return not self.missing

    @property
    def places(self) -> list[Holder]:
        return list({d.holder_id: d.holder for d in self.members}.values())

    @property
    def is_split(self) -> bool:
        return len(self.places) > 1


def _missing(kit: Kit, members: list[Device]) -> dict[str, int]:
    have = Counter(d.model.category.value for d in members)
    return {item.category.value: item.quantity - have[item.category.value]
            for item in kit.template.items if item.quantity > have[item.category.value]}


def _incomplete():
    """Some item of the kit's template has fewer members of its category than it wants."""
    members = (select(func.count()).select_from(Device).join(DeviceModel, DeviceModel.id == Device.model_id)
               .where(Device.kit_id == Kit.id, DeviceModel.category == KitTemplateItem.category)
               .correlate(Kit, KitTemplateItem).scalar_subquery())
    return exists(select(KitTemplateItem.id).where(KitTemplateItem.template_id == Kit.template_id,
                                                   KitTemplateItem.quantity > members).correlate(Kit))


def _split():
    return Kit.id.in_(select(Device.kit_id).where(Device.kit_id.is_not(None)).group_by(Device.kit_id)
                      .having(func.count(func.distinct(Device.holder_id)) > 1))


def _at(place: int | str):
    if place == HOMES:
        return Kit.id.in_(select(Device.kit_id).join(Holder, Holder.id == Device.holder_id)
                          .where(Holder.kind == HolderKind.COURSE))
    return Kit.id.in_(select(Device.kit_id).where(Device.holder_id == place))


def list_kits(session: Session, *, template_id: int | None = None, place: int | str | None = None,
              state: str | None = None, page: int = 1, per_page: int = 25) -> tuple[list[KitRow], bool]:
    """A page of kits by tag with their members, what is missing and where they are: two statements a page."""
    stmt = select(Kit)
    if template_id:
        stmt = stmt.where(Kit.template_id == template_id)
    if place:
        stmt = stmt.where(_at(place))
    if state == "complete":
        stmt = stmt.where(~_incomplete())
    elif state == "incomplete":
        stmt = stmt.where(_incomplete())
    elif state == "split":
        stmt = stmt.where(_split())
    kits = list(session.scalars(stmt.order_by(Kit.tag).limit(per_page + 1).offset((page - 1) * per_page)))
    members: dict[int, list[Device]] = {}
    for device in session.scalars(select(Device).where(Device.kit_id.in_([k.id for k in kits[:per_page]]))
                                  .order_by(Device.id)):
        members.setdefault(device.kit_id, []).append(device)
    rows = [KitRow(kit, members.get(kit.id, []), _missing(kit, members.get(kit.id, []))) for kit in kits[:per_page]]
    return rows, len(kits) > per_page


def kit_history(session: Session, kit_id: int, *, limit: int = 200) -> list[tuple[KitMembership, str, DeviceModel]]:
    """Every device that was ever in the kit, newest first: (membership, tag, model); a membership with no
    `removed_at` is current."""
    return list(session.execute(
        select(KitMembership, Device.tag, DeviceModel).join(Device, Device.id == KitMembership.device_id)
        .join(DeviceModel, DeviceModel.id == Device.model_id).where(KitMembership.kit_id == kit_id)
        .order_by(KitMembership.added_at.desc(), KitMembership.id.desc()).limit(limit)))
