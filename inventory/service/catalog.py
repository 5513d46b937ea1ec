"""Device models, kit templates, holders, devices and SIM cards: creating the things the ledger moves."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import luhn

from inventory.models import (
    Device,
    DeviceCategory,
    DeviceModel,
    DeviceStatus,
    Holder,
    HolderKind,
    KitTemplate,
    KitTemplateItem,
    SimCard,
    SimPairing,
    TagCounter,
)
from inventory.service import readiness
from inventory.service.ledger import register
from inventory.tags import make_tag
from servicecenter.audit.service import record_event
from servicecenter.courses.models import Course
from servicecenter.db import get_or_raise
from servicecenter.errors import N_, DomainError


def next_tag(session: Session, prefix: str) -> str:
    """Take the next number for a prefix; the counter row is locked until the transaction ends."""
    counter = session.scalar(select(TagCounter).where(TagCounter.prefix == prefix).with_for_update())
    if counter is None:
        counter = TagCounter(prefix=prefix, next_value=1)
        session.add(counter)
    number = counter.next_value
    counter.next_value = number + 1
    session.flush()
    return make_tag(prefix, number)


def create_device_model(session: Session, *, actor, now: dt.datetime, category: DeviceCategory, manufacturer: str,
                        model_number: str, name: str, cleaning_procedure: str | None = None,
                        service_interval_days: int | None = None, unit_price: Decimal | None = None) -> DeviceModel:
    if session.scalar(select(DeviceModel.id).where(DeviceModel.model_number == model_number)) is not None:
        raise DomainError(N_("A device model with this model number exists."), field="model_number")
    model = DeviceModel(category=category, manufacturer=manufacturer, model_number=model_number, name=name,
                        cleaning_procedure=cleaning_procedure, service_interval_days=service_interval_days,
                        unit_price=unit_price)
    session.add(model)
    session.flush()
    record_event(session, actor=actor, action="device_model.create", entity_type="device_model", entity_id=model.id,
                 now=now)
    return model


def get_device_model(session: Session, model_id: int) -> DeviceModel:
    return get_or_raise(session, DeviceModel, model_id, N_("No such device model."))


def update_device_model(session: Session, model: DeviceModel, *, actor, now: dt.datetime, category: DeviceCategory,
                        manufacturer: str, model_number: str, name: str, cleaning_procedure: str | None,
                        service_interval_days: int | None, unit_price: Decimal | None = None) -> DeviceModel:
    """Change a model's details; the category only while no device of the model exists (kits and SIM cards
    are checked against it). The audit row names each field that changed, with its old and new value."""
    model = session.scalar(select(DeviceModel).where(DeviceModel.id == model.id).with_for_update())
    if session.scalar(select(DeviceModel.id).where(DeviceModel.model_number == model_number,
                                                   DeviceModel.id != model.id)) is not None:
        raise DomainError(N_("A device model with this model number exists."), field="model_number")
    if category != model.category and session.scalar(select(Device.id).where(Device.model_id == model.id).limit(1)):
        raise DomainError(N_("Devices of this model are registered: its category cannot change."), field="category")
    wanted = {"category": category, "manufacturer": manufacturer, "model_number": model_number, "name": name,
              "cleaning_procedure": cleaning_procedure, "service_interval_days": service_interval_days,
              "unit_price": unit_price}
    changed = {key: [_plain(getattr(model, key)), _plain(value)] for key, value in wanted.items()
               if getattr(model, key) != value}
    for key in changed:
        setattr(model, key, wanted[key])
    if changed:
        record_event(session, actor=actor, action="device_model.update", entity_type="device_model",
                     entity_id=model.id, now=now, detail={"changed": changed})
    return model


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    return value.value if isinstance(value, DeviceCategory) else value


def set_kit_template(session: Session, *, actor, now: dt.datetime, programme_id: int, name: str,
                     items: list[tuple[DeviceCategory, int]]) -> KitTemplate:
    template = session.scalar(select(KitTemplate).where(KitTemplate.programme_id == programme_id))
    if template is None:
        template = KitTemplate(programme_id=programme_id, name=name)
        session.add(template)
    template.name = name
    template.items = [KitTemplateItem(category=c, quantity=q) for c, q in items]
    session.flush()
    readiness.touch_template(session, template.id)  # a kit complete before may lack an item now, or the reverse
    record_event(session, actor=actor, action="kit_template.set", entity_type="kit_template", entity_id=template.id,
                 now=now, detail={"items": [[c.value, q] for c, q in items]})
    return template


def create_holder(session: Session, *, actor, now: dt.datetime, kind: HolderKind, name: str,
                  depot: Holder | None = None, user_id: int | None = None) -> Holder:
    tag = next_tag(session, {"van": "V", "bin": "B"}[kind.value]) if kind in (HolderKind.VAN, HolderKind.BIN) else None
    holder = Holder(kind=kind, name=name.strip(), tag=tag, depot_id=depot.id if depot else None, user_id=user_id)
    session.add(holder)
    session.flush()
    record_event(session, actor=actor, action="holder.create", entity_type="holder", entity_id=holder.id, now=now,
                 detail={"kind": kind.value})
    return holder


def course_holder(session: Session, course: Course) -> Holder:
    """The citizen's home for this course, made the first time a device goes there."""
    holder = session.scalar(select(Holder).where(Holder.course_id == course.id))
    if holder is None:
        # No name and no programme in it: the holder's name is shown on inventory pages to people who may not see
        # citizens (the warehouse): "a citizen's home", not that she has COPD.
        holder = Holder(kind=HolderKind.COURSE, name=f"Borgerhjem {course.id}",
                        course_id=course.id, citizen_id=course.citizen_id)
        session.add(holder)
        session.flush()
    return holder


def list_holders(session: Session, *kinds: HolderKind) -> list[Holder]:
    return list(session.scalars(select(Holder).where(Holder.kind.in_(kinds), Holder.is_active.is_(True))
                                .order_by(Holder.kind, Holder.name)))


def get_holder(session: Session, holder_id: int) -> Holder:
    return get_or_raise(session, Holder, holder_id, N_("No such place."))


@dataclass
class DeviceData:
    model_id: int
    serial: str
    owner_organisation_id: int
    firmware_version: str | None = None
    purchased_on: dt.date | None = None
    warranty_until: dt.date | None = None
    calibration_due_on: dt.date | None = None


def register_device(session: Session, data: DeviceData, *, depot: Holder, actor, now: dt.datetime,
                    import_batch_id: int | None = None) -> Device:
    """A new device from a supplier: a tag, status received, at the depot, and its first ledger row."""
    if session.scalar(select(Device.id).where(Device.model_id == data.model_id, Device.serial == data.serial)):
        raise DomainError(N_("A device of this model with serial %(serial)s exists."), field="serial",
                          serial=data.serial)
    device = Device(tag=next_tag(session, "D"), serial=data.serial, model_id=data.model_id,
                    owner_organisation_id=data.owner_organisation_id, firmware_version=data.firmware_version,
                    purchased_on=data.purchased_on, warranty_until=data.warranty_until,
                    calibration_due_on=data.calibration_due_on, status=DeviceStatus.RECEIVED, holder_id=depot.id,
                    import_batch_id=import_batch_id, created_at=now, last_moved_at=now)
    session.add(device)
    session.flush()
    register(session, device, holder=depot, actor=actor, now=now)
    record_event(session, actor=actor, action="device.register", entity_type="device", entity_id=device.id, now=now)
    return device


def set_firmware(session: Session, device: Device, *, firmware: str | None, actor, now: dt.datetime) -> Device:
    """Record the firmware/app version now on the device (after an update in the warehouse); audited with the
    old and new value, which is the device's firmware history."""
    firmware = (firmware or "").strip() or None
    if firmware and len(firmware) > 40:
        raise DomainError(N_("The firmware/app version is longer than %(n)d characters."), field="firmware", n=40)
    device = session.scalar(select(Device).where(Device.id == device.id).with_for_update(of=Device))
    if device.firmware_version != firmware:
        record_event(session, actor=actor, action="device.firmware", entity_type="device", entity_id=device.id,
                     now=now, detail={"from": device.firmware_version, "to": firmware})
        device.firmware_version = firmware
    return device


def normalise_iccid(value: str) -> str:
    iccid = re.sub(r"\s", "", value or "")
    if not re.fullmatch(r"89\d{16,20}", iccid) or not luhn.is_valid(iccid):
        raise DomainError(N_("%(iccid)s is not a valid ICCID (89…, 18–22 digits, Luhn check)."), field="iccid",
                          iccid=iccid[:24])
    return iccid


def register_sim(session: Session, *, iccid: str, phone_number: str | None, operator: str | None,
                 device: Device | None, now: dt.datetime) -> SimCard:
    iccid = normalise_iccid(iccid)
    if session.scalar(select(SimCard.id).where(SimCard.iccid == iccid)) is not None:
        raise DomainError(N_("SIM card %(iccid)s exists."), field="iccid", iccid=iccid)
    sim = SimCard(iccid=iccid, phone_number=phone_number or None, operator=operator or None)
    session.add(sim)
    session.flush()
    if device is not None:
        pair_sim(session, sim, device, now=now)
    return sim


def pair_sim(session: Session, sim: SimCard, device: Device, *, now: dt.datetime) -> None:
    """Put a SIM in a tablet; the pairing it had before ends, so the history shows both."""
    if device.model.category != DeviceCategory.TABLET:
        raise DomainError(N_("A SIM card goes in a tablet."), field="device")
    for pairing in session.scalars(select(SimPairing).where(
            (SimPairing.sim_id == sim.id) | (SimPairing.device_id == device.id), SimPairing.unpaired_at.is_(None))):
        pairing.unpaired_at = now
    other = session.scalar(select(SimCard).where(SimCard.device_id == device.id, SimCard.id != sim.id))
    if other is not None:
        other.device_id = None
    session.flush()
    sim.device_id = device.id
    session.add(SimPairing(sim_id=sim.id, device_id=device.id, paired_at=now))
    session.flush()


def set_location(session: Session, holder: Holder, *, latitude: float, longitude: float, actor,
                 now: dt.datetime) -> None:
    """A depot's coordinates (where technicians' routes start and end)."""
    if holder.kind != HolderKind.DEPOT:
        raise DomainError(N_("Choose a depot."))
    holder.latitude, holder.longitude = latitude, longitude
    record_event(session, actor=actor, action="holder.location", entity_type="holder", entity_id=holder.id,
                 now=now)
