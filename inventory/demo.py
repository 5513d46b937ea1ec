"""Demo inventory: device models, kit templates, two depots, two vans, stocked devices with SIM cards in the
tablets and packed kits, received two months ago. Made through the real services, so the ledger is whole; equipment
reaches homes only on visits (the dispatch demo delivers it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import luhn

from inventory import service
from inventory.models import DeviceCategory, DeviceModel, HolderKind, KitTemplate
from servicecenter.auth.models import Role, User
from servicecenter.courses.models import Programme
from servicecenter.organisations.models import Organisation, OrganisationKind

MODELS = [
    (DeviceCategory.TABLET, "Samsung", "SM-X110", "Galaxy Tab A9"),
    (DeviceCategory.PULSE_OXIMETER, "Nonin", "3230", "Onyx 3230 Bluetooth"),
    (DeviceCategory.BLOOD_PRESSURE, "A&D Medical", "UA-651BLE", "UA-651BLE"),
    (DeviceCategory.SCALE, "A&D Medical", "UC-352BLE", "UC-352BLE"),
]
TEMPLATES = {
    "COPD": ("KOL-kuffert",
             [(DeviceCategory.TABLET, 1), (DeviceCategory.PULSE_OXIMETER, 1), (DeviceCategory.SCALE, 1)]),
    "HF": ("Hjertesvigt-kuffert",
           [(DeviceCategory.TABLET, 1), (DeviceCategory.BLOOD_PRESSURE, 1), (DeviceCategory.SCALE, 1)]),
}
CLEANING = "Aftør alle flader med 70 % alkohol; lad tørre i 5 minutter."
RECEIVED_AGO = dt.timedelta(days=60)  # the stock arrived before any demo visit, so the ledger runs forwards


def load_inventory_demo(session: Session, *, now: dt.datetime) -> dict[str, int]:
    if session.scalar(select(DeviceModel.id).limit(1)) is not None:
        return {"devices": 0}
    now = now - RECEIVED_AGO
    warehouse = session.scalar(select(User).where(User.role == Role.WAREHOUSE))
    technician = session.scalar(select(User).where(User.role == Role.TECHNICIAN))
    region = session.scalar(select(Organisation).where(Organisation.kind == OrganisationKind.REGION))
    who = {"actor": warehouse, "now": now}
    models = {c: service.create_device_model(session, **who, category=c, manufacturer=m, model_number=n, name=name,
                                             cleaning_procedure=CLEANING) for c, m, n, name in MODELS}
    programmes = {p.code: p for p in session.scalars(select(Programme))}
    templates = {code: service.set_kit_template(session, **who, programme_id=programmes[code].id, name=name,
                                                items=items)
                 for code, (name, items) in TEMPLATES.items()}
    aarhus = service.create_holder(session, **who, kind=HolderKind.DEPOT, name="Lager Aarhus")
    herning = service.create_holder(session, **who, kind=HolderKind.DEPOT, name="Lager Herning")
    service.create_holder(session, **who, kind=HolderKind.BIN, name="Aarhus hylde A1", depot=aarhus)
    service.create_holder(session, **who, kind=HolderKind.VAN, name="Bil 1 (Torben)",
                          user_id=technician.id if technician else None)
    service.create_holder(session, **who, kind=HolderKind.VAN, name="Bil 2")
    service.create_holder(session, **who, kind=HolderKind.REPAIR, name="MedTek Reparation A/S")
    for depot in (aarhus, herning):
        for code in ("COPD", "HF"):
            service.set_minimum(session, **who, depot_id=depot.id, programme_id=programmes[code].id, minimum=3)
    devices = _stock(session, models, aarhus, herning, region, warehouse, now)
    _sims(session, devices, now)
    kits = _kits(session, templates, devices, warehouse, now)
    return {"devices": len(devices), "kits": len(kits)}


def _stock(session, models, aarhus, herning, region, actor, now) -> list:
    devices = []
    for i in range(80):
        category = list(models)[i % 4]
        depot = aarhus if i < 64 else herning
        device = service.register_device(session, service.DeviceData(
            model_id=models[category].id, serial=f"DEMO{i + 1:05d}", owner_organisation_id=region.id,
            firmware_version="2.4.1" if i % 3 else "2.3.0"), depot=depot, actor=actor, now=now)
        service.scan(session, "accept", device.tag, service.Context(actor=actor, now=now))
        devices.append(device)
    return devices


def _sims(session, devices, now) -> None:
    """Every demo tablet has a SIM card (test ICCIDs: 89 45 and a Luhn check digit)."""
    for i, device in enumerate(d for d in devices if d.model.category == DeviceCategory.TABLET):
        body = f"894501{i + 1:012d}"
        service.register_sim(session, iccid=body + luhn.calc_check_digit(body), phone_number=f"+45 2{i + 1:07d}",
                             operator="TDC" if i % 2 else "Telia", device=device, now=now)


def _kits(session, templates, devices, actor, now) -> list:
    by_category: dict[DeviceCategory, list] = {}
    for device in devices[:64]:  # Aarhus
        by_category.setdefault(device.model.category, []).append(device)
    kits = []
    for code in ("COPD", "COPD", "HF", "HF"):
        template: KitTemplate = templates[code]
        kit = service.create_kit(session, template=template, actor=actor, now=now)
        for item in template.items:
            service.pack(session, kit, by_category[item.category].pop().tag, actor=actor, now=now)
        kits.append(kit)
    return kits
